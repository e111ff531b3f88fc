/**
 * Encryption keys for tests, generated once with `openssl rand`: real keys pass the strength
 * check that refuses words, patterns and repeated bytes.
 */
export const TEST_KEY = '8fe02cf0d22fe947e80e954c8bbdcd9f7299e1d1180e85856c9ededc8d7f5052';
export const SECOND_TEST_KEY = 'FGYvEQ5/RK2j6ynBpDIKgF62MKMg+LkwIQBEbmO51kQ=';

import http from 'node:http';
import https from 'node:https';
import { type ITwitterApiClientPlugin, TwitterApi } from 'twitter-api-v2';

/** The prefixes twitter-api-v2 builds v2 URLs with (it does not export them). */
const KNOWN_V2_PREFIXES = ['https://api.x.com/2/', 'https://api.twitter.com/2/'];

/**
 * twitter-api-v2 has no base-URL setting (and `cloneWithPrefix()` throws), so this plugin moves
 * every REST call, pagination included, to `X_API_URL`: proxies, and the local stand-in in tests.
 */
function baseUrlPlugin(apiUrl: string): ITwitterApiClientPlugin {
  return {
    onBeforeRequestConfig({ params }) {
      for (const prefix of KNOWN_V2_PREFIXES) {
        if (params.url.startsWith(prefix)) {
          params.url = apiUrl + params.url.slice(prefix.length);
          return;
        }
      }
    },
  };
}

/** An `http://` base (the stand-in) needs a plain HTTP agent; the library defaults to HTTPS. */
function agentFor(apiUrl: string) {
  return apiUrl.startsWith('http://') ? new http.Agent({ keepAlive: true }) : new https.Agent({ keepAlive: true });
}

export function createAppOnlyClient(apiUrl: string, bearerToken: string): TwitterApi {
  return new TwitterApi(bearerToken, { plugins: [baseUrlPlugin(apiUrl)], httpAgent: agentFor(apiUrl) });
}

export function createUserClient(
  apiUrl: string,
  user: { appKey: string; appSecret: string; accessToken: string; accessSecret: string },
): TwitterApi {
  return new TwitterApi(user, { plugins: [baseUrlPlugin(apiUrl)], httpAgent: agentFor(apiUrl) });
}

/**
 * natural's index loads the whole library (WordNet, lexicons for a dozen languages, every
 * classifier): about 115 MB of RSS before the bot does anything. Switchboard imports the five
 * files it uses instead (about 35 MB); their types are natural's own.
 */
declare module 'natural/lib/natural/classifiers/bayes_classifier.js' {
  import { BayesClassifier } from 'natural';
  export default BayesClassifier;
}
declare module 'natural/lib/natural/sentiment/SentimentAnalyzer.js' {
  import { SentimentAnalyzer } from 'natural';
  export default SentimentAnalyzer;
}
declare module 'natural/lib/natural/stemmers/porter_stemmer.js' {
  import { PorterStemmer } from 'natural';
  export default PorterStemmer;
}
declare module 'natural/lib/natural/tfidf/tfidf.js' {
  import { TfIdf } from 'natural';
  export default TfIdf;
}
declare module 'natural/lib/natural/tokenizers/regexp_tokenizer.js' {
  export { WordTokenizer } from 'natural';
}

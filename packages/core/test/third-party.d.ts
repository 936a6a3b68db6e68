// The `macaroon` package (go-macaroon's JS port) ships no types; tests use it as an
// independent implementation to cross-check ours.
declare module 'macaroon';

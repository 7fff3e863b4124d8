// @xmpp/client ships no type declarations; the tests use it untyped.
declare module '@xmpp/client';

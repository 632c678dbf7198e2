// flying-squid ships no type declarations. The launcher reaches into its server object in many places
// (players, commands, the world, the protocol server); its shape is flying-squid's, documented in
// docs/flying-squid.md, and stays untyped here rather than guessed.
declare module 'flying-squid' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped upstream object, see above
  export function createMCServer(options: Record<string, unknown>): any;
  /** The server createMCServer returns. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped upstream object, see above
  export type MCServer = any;
  /** One of the server's players (serv.players, the `newPlayer` event). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped upstream object, see above
  export type Player = any;
  /** A minecraft-protocol client as the server's `playerJoin` event hands it over, before it is a player. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped upstream object, see above
  export type Client = any;
}

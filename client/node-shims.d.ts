/**
 * @module node-shims
 * The few Node APIs the client's Node-side tests use (the test server, gzip, files), typed by hand:
 * the repository has no `@types/node`, and the client's tsconfig must not pull Node types into the
 * browser script anyway. Delete this file once `@types/node` is a devDependency and the tests'
 * tsconfig lists it.
 */

declare module 'node:http' {
  export interface IncomingMessage {
    method?: string;
    url?: string;
    headers: Record<string, string | string[] | undefined>;
    setEncoding(encoding: 'utf8'): this;
    on(event: 'data', listener: (chunk: string) => void): this;
    on(event: 'end', listener: () => void): this;
  }
  export interface ServerResponse {
    writeHead(status: number, headers?: Record<string, string | number>): this;
    end(body?: string): this;
  }
  export interface Server {
    listen(port: number, host: string, listener: () => void): this;
    address(): { port: number } | string | null;
    close(callback?: (err?: Error) => void): this;
    closeAllConnections(): void;
  }
  export function createServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Server;
}

declare module 'node:zlib' {
  export function gzipSync(data: string, options?: { level?: number }): Uint8Array;
}

declare module 'node:fs/promises' {
  export function access(path: string): Promise<void>;
  export function readFile(path: string | URL, encoding: 'utf8'): Promise<string>;
}

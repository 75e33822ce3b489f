// The s3rver package ships no types; this covers the part the S3 launcher uses.
declare module 's3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface S3rverOptions {
    silent?: boolean;
    /** where buckets and objects are kept, as files */
    directory?: string;
    /** false: path-style addressing only */
    vhostBuckets?: boolean;
  }

  /** A Koa application; `run()`/`close()` exist too, but `run()` never settles if listening fails. */
  export default class S3rver {
    constructor(options?: S3rverOptions);
    /** the request handler, to serve from an http.Server of one's own */
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }
}

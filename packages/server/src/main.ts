import { enableCompileCache } from 'node:module';

// First, before the server's modules load: V8's compiled code for each of them is kept on disk
// (NODE_COMPILE_CACHE, or node-compile-cache in the temp directory) and reused at the next
// start, ~0.7 s of a ~3 s start here. A node restarted in a reconnect storm serves that much
// sooner, and every client waits for it. Where the directory cannot be written, nothing changes.
enableCompileCache();
await import('./serve.ts');

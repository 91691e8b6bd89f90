/** esbuild bundles imported CSS into console.css. */
declare module '*.css';

// Builds the self-hosted GraphiQL page script (plus its stylesheet, fonts and
// icons), and standalone ES modules for the example pages (graphql-ws, and
// uPlot with uplot.css) into gateway/static/graphiql/. Nothing here is loaded from a CDN at run time.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

const EXTENSIONS = {
  'font/woff2': 'woff2',
  'font/woff': 'woff',
  'font/ttf': 'ttf',
  'image/svg+xml': 'svg',
  'image/png': 'png',
  'image/gif': 'gif',
};

// GraphiQL's published CSS embeds fonts and icons as data: URLs,
// which `Content-Security-Policy: default-src 'self'` refuses (font-src and
// img-src fall back to 'self'). Write each one out as a file beside the CSS.
function extractCssDataUrls() {
  const pattern = /url\((['"]?)data:([a-z0-9.+-]+\/[a-z0-9.+-]+);base64,([A-Za-z0-9+/=]+)\1\)/gi;
  return {
    name: 'extract-css-data-urls',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const asset of Object.values(bundle)) {
        if (asset.type !== 'asset' || !asset.fileName.endsWith('.css')) continue;
        const css = String(asset.source);
        asset.source = css.replace(pattern, (whole, _quote, mime, data) => {
          const ext = EXTENSIONS[mime.toLowerCase()];
          if (!ext) return whole;
          const source = Buffer.from(data, 'base64');
          const hash = createHash('sha256').update(source).digest('hex').slice(0, 10);
          const fileName = `assets/inline-${hash}.${ext}`;
          if (!bundle[fileName]) this.emitFile({ type: 'asset', fileName, source });
          const rel = path.posix.relative(path.posix.dirname(asset.fileName), fileName);
          return `url(./${rel})`;
        });
      }
    },
  };
}

// Under `default-src 'self'` (no 'unsafe-inline') a page may not add <style>
// elements or parse `style="..."` attributes; styles set through the CSSOM
// (`el.style.x = ...`, React's `style={{}}`, constructed stylesheets) are fine,
// and that is how CodeMirror 5 and GraphiQL 3 style themselves. The two
// exceptions among the bundled packages are patched here:
// * react-style-singleton (react-remove-scroll's <style> element, used when a
//   dialog opens) is replaced by src/style-singleton.js (adoptedStyleSheets);
// * CodeMirror's jump-to-line dialog (Alt-G) builds its HTML with two style
//   attributes; they are dropped and their rules live in src/page.css.
// The browser tests count CSP violations and expect none.
function cspSafeStyles() {
  const singleton = /[\\/]react-style-singleton[\\/]dist[\\/][^\\/]+[\\/]singleton\.js$/;
  const jumpToLine = /[\\/]codemirror[\\/]addon[\\/]search[\\/]jump-to-line\.js$/;
  const styleAttributes = / style="(?:width: 10em|color: #888)"/g;
  const patched = new Set();
  return {
    name: 'csp-safe-styles',
    enforce: 'pre',
    apply: 'build',
    buildEnd(error) {
      // fail loudly if a package update moved what this patches
      if (!error && patched.size !== 2) this.error(`csp-safe-styles patched only: ${[...patched]}`);
    },
    load(id) {
      if (!singleton.test(id)) return null;
      patched.add('react-style-singleton');
      return `export { stylesheetSingleton } from ${JSON.stringify(here('src/style-singleton.js'))};`;
    },
    transform(code, id) {
      if (!jumpToLine.test(id)) return null;
      const stripped = code.replace(styleAttributes, '');
      if (stripped === code || / style="/.test(stripped)) this.error(`${id}: style attributes not as expected`);
      patched.add('jump-to-line');
      return { code: stripped, map: null };
    },
  };
}

// Packages ship "use client" directives for React Server Components; they mean
// nothing in a browser bundle, so drop rollup's warning about each of them.
function onwarn(warning, warn) {
  if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
  warn(warning);
}

export default defineConfig({
  // Relative base: chunks and fonts are addressed relative to the
  // module that loads them, so the bundle works under any mount path.
  base: './',
  publicDir: here('public'), // favicon.svg
  logLevel: 'warn',
  plugins: [cspSafeStyles(), extractCssDataUrls()],
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    outDir: here('../../gateway/static/graphiql'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    minify: 'esbuild',
    reportCompressedSize: false,
    chunkSizeWarningLimit: 8192,
    assetsInlineLimit: 0, // no data: URLs, so CSP `default-src 'self'` covers fonts/images too
    rollupOptions: {
      input: {
        graphiql: here('src/graphiql.js'),
        'graphql-ws': here('src/graphql-ws.js'),
        uplot: here('src/uplot.js'),
      },
      // keep the entries' exports so examples can `import { createClient }` (graphql-ws.js)
      // and `import uPlot` (uplot.js) from them
      preserveEntrySignatures: 'exports-only',
      onwarn,
      output: {
        entryFileNames: '[name].js',
        chunkFileNames: 'chunks/[name]-[hash].js',
        assetFileNames: (info) =>
          info.names?.some((n) => n.endsWith('.css')) ? '[name].css' : 'assets/[name]-[hash][extname]',
      },
    },
  },
});

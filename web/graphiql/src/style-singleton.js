// Stands in for react-style-singleton's singleton.js (see vite.config.js).
//
// react-remove-scroll (behind GraphiQL's Radix dialogs: settings, keyboard
// shortcuts) measures the scrollbar and injects its CSS as a <style> element,
// which `Content-Security-Policy: default-src 'self'` refuses. The same CSS in
// a constructed stylesheet adopted by the document goes through the CSSOM,
// which CSP allows. Same API: add(css) on first use, remove() on last.
export const stylesheetSingleton = () => {
  let counter = 0;
  let sheet = null;
  return {
    add(css) {
      if (counter === 0 && typeof document !== 'undefined') {
        sheet = new CSSStyleSheet();
        sheet.replaceSync(css);
        document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
      }
      counter++;
    },
    remove() {
      counter--;
      if (!counter && sheet) {
        const dropped = sheet;
        document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== dropped);
        sheet = null;
      }
    },
  };
};

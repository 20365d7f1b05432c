// uPlot (a small, fast chart for large numeric series) as a same-origin ES
// module for the session page (gateway/static/session), with its stylesheet
// written out as uplot.css. uPlot styles itself through the CSSOM only, so it
// runs under the same `default-src 'self'` policy as GraphiQL.
import 'uplot/dist/uPlot.min.css';

export { default } from 'uplot';

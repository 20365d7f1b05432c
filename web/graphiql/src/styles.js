import 'graphiql/style.css';
import '@graphiql/plugin-explorer/dist/style.css';
import './page.css';

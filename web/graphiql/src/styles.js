import 'graphiql/style.css';
import '@graphiql/plugin-explorer/style.css';
import './page.css';

import { createRoot } from 'react-dom/client';
import { App } from './App';
import { connectApi } from './transport';

const api = connectApi();
createRoot(document.getElementById('root')!).render(<App api={api} />);

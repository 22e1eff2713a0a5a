import { createApp } from 'vue';
import App from './App.vue';
import { API_KEY } from './lib/api-key';
import { createApi } from './lib/client';
import { createStore } from './lib/store';
import './style.css';

function fatal(message: string): void {
  const root = document.getElementById('app');
  if (!root) return;
  root.textContent = '';
  const box = document.createElement('pre');
  box.className = 'fatal';
  box.setAttribute('data-testid', 'fatal');
  box.textContent = `PV Block Lab could not start:\n${message}`;
  root.append(box);
}

try {
  const api = createApi();
  const store = createStore(api);
  const app = createApp(App, { store });
  app.provide(API_KEY, api);
  app.config.errorHandler = (err) => {
    store.state.message = err instanceof Error ? err.message : String(err);
  };
  app.mount('#app');
} catch (err) {
  fatal(err instanceof Error ? (err.stack ?? err.message) : String(err));
}
window.addEventListener('unhandledrejection', (e) => console.error('pvblk:', e.reason));

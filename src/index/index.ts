export { openIndex, type IndexStore } from './store.ts';

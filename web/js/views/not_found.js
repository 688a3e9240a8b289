// The view for a hash route nobody serves.

import { el } from '../dom.js';
import { heading } from './common.js';

export function createNotFoundView() {
  return {
    mount(container) {
      container.append(heading('Page not found'),
        el('p', {}, 'There is nothing at this address. ', el('a', { href: '#/', text: 'Go to the queue' }), '.'));
    },
  };
}

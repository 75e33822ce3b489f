export { chatService } from './service.ts';
export { conversationViews } from './views/projection.ts';

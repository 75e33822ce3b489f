export { type FakeChatModel, type FakeChatScript, startFakeChatModel } from './fake-chat-model.ts';

// Entry of an image pool thread: a thread starts without the main thread's TypeScript loader, so it registers tsx itself.
import { register } from 'tsx/esm/api';

register();
const { imageTask, textTask } = await import('./image-thread.ts');
export default imageTask;
export { imageTask, textTask };

export * from './dead-letters.ts';
export * from './page.ts';
export * from './projector.ts';
export * from './wait.ts';
export * from './row-fold.ts';
export * from './group.ts';

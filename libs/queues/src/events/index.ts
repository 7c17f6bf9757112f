export * from './app-event';
export * from './event-bus';
export * from './progress-publisher';

/** development and test are explicit opt-ins (npm start, the test harness); everything else is production. */
export const isDevelopment = (config: { NODE_ENV: 'development' | 'production' | 'test' }): boolean => config.NODE_ENV !== 'production';

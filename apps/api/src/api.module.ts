import { Module } from '@nestjs/common';

/**
 * The HTTP surface beyond health (datasets, models, runs, schedules, teams)
 * is added here as its controllers land; health lives in the core module
 * because workers expose it too.
 */
@Module({})
export class ApiModule {}

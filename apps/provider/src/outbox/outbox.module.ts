import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database.module.js';
import { Announcer } from './announcer.js';

@Module({ imports: [DatabaseModule], providers: [Announcer], exports: [Announcer] })
export class OutboxModule {}

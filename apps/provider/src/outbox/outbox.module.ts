import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database.module.js';
import { AnnouncementsController } from './announcements.controller.js';
import { Announcer } from './announcer.js';

@Module({
  imports: [DatabaseModule],
  controllers: [AnnouncementsController],
  providers: [Announcer],
  exports: [Announcer],
})
export class OutboxModule {}

import { Module } from '@nestjs/common';
import { CalendarsController } from './calendars.controller.js';
import { CalendarsService } from './calendars.service.js';

/** The operators' API for time triggers: calendars, and (with schedule-math) the preview of a schedule's next fires. */
@Module({
  controllers: [CalendarsController],
  providers: [CalendarsService],
  exports: [CalendarsService],
})
export class SchedulesApiModule {}

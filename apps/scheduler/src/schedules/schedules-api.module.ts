import { Module } from '@nestjs/common';
import { CalendarsController, SchedulePreviewController } from './calendars.controller.js';
import { CalendarsService } from './calendars.service.js';

/** The operators' API for time triggers: calendars, and the preview of a schedule's next fires. */
@Module({
  controllers: [CalendarsController, SchedulePreviewController],
  providers: [CalendarsService],
  exports: [CalendarsService],
})
export class SchedulesApiModule {}

import { Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Scopes } from '#ferry/auth';
import { announcementPageSchema, announcementViewSchema, Scope } from '#ferry/contracts';
import { ApiDoc } from '#ferry/http';
import { undeliveredDocs, type UndeliveredQuery } from '#ferry/outbox';
import { Announcer } from './announcer.js';

const docs = undeliveredDocs(
  { plural: 'Announcements of published files', one: 'announcement' },
  { page: announcementPageSchema, view: announcementViewSchema },
);

/** An operator's routes (admin scopes, which no upstream's client holds). */
@ApiTags('admin: announcements')
@ApiBearerAuth()
@Controller('announcements')
export class AnnouncementsController {
  constructor(@Inject(Announcer) private readonly announcer: Announcer) {}

  @Get()
  @ApiDoc(docs.list)
  @Scopes(Scope.adminRead)
  list(@Query() q: UndeliveredQuery) {
    return this.announcer.undelivered.list(q);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @ApiDoc(docs.retry)
  @Scopes(Scope.adminWrite)
  retry(@Param('id') id: string) {
    return this.announcer.undelivered.retry(id);
  }
}

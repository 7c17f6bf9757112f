import { Controller, Get, Inject, type OnModuleDestroy, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '@maskgen/config';
import type { TeamEntity } from '@maskgen/persistence';
import { EventBus, type AppEvent } from '@maskgen/queues';
import { ZodResponse } from '@maskgen/runtime';
import type { Response } from 'express';
import { CurrentTeam } from '../auth/current-team.decorator';

/** One server-sent event: `event: <type>` and the JSON data on one line (JSON.stringify never emits newlines). */
export function formatServerSentEvent(event: Pick<AppEvent, 'type' | 'data'>): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

@ApiTags('events')
@ApiSecurity('api-key')
@Controller('events')
export class EventsController implements OnModuleDestroy {
  /** Open streams, ended when the application shuts down so the HTTP server can close. */
  private readonly streams = new Set<() => void>();

  constructor(
    private readonly bus: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({
    summary: "Server-sent events of the team's runs and models",
    description:
      'text/event-stream. Events `run` and `model`, each with JSON data {id, status, progress, ...}, on every ' +
      'coarse progress or status change of a run or model of the calling team (never of another team). ' +
      '`: keepalive` comment lines every EVENTS_KEEPALIVE_MS (15 s). Events are not replayed: read the ' +
      'current state with GET /runs/:id or GET /models/:id after (re)connecting.',
  })
  @ApiProduces('text/event-stream')
  @ZodResponse(200, undefined, {
    description:
      "The stream (each event's data as progressEventSchema in libs/contracts); it stays open until the client disconnects",
    content: { 'text/event-stream': {} },
  })
  async stream(@CurrentTeam() team: TeamEntity, @Res() response: Response): Promise<void> {
    // Subscribed before the headers go out: a client that saw them misses nothing published later.
    await this.bus.ready();
    const unsubscribe = this.bus.subscribe((event) => {
      if (event.teamId === team.id) response.write(formatServerSentEvent(event));
    });
    response.status(200);
    response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    response.setHeader('Cache-Control', 'no-cache, no-transform');
    response.setHeader('Connection', 'keep-alive');
    // ingress-nginx (and nginx generally) would otherwise buffer the stream.
    response.setHeader('X-Accel-Buffering', 'no');
    response.flushHeaders();
    response.write(': connected\n\n');
    const keepalive = setInterval(() => response.write(': keepalive\n\n'), this.config.api.eventsKeepaliveMs);
    const close = () => {
      clearInterval(keepalive);
      unsubscribe();
      this.streams.delete(end);
    };
    const end = () => {
      close();
      response.end();
    };
    this.streams.add(end);
    response.on('close', close);
  }

  /** Streams open right now (also what a disconnected client must no longer count in). */
  get openStreams(): number {
    return this.streams.size;
  }

  onModuleDestroy(): void {
    for (const end of [...this.streams]) end();
  }
}

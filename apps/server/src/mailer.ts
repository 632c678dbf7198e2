import type { Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { Mailer, MailMessage } from '@minefleet/domain/ports/mailer';

/** Mail through the SMTP server of `url` (`smtp://user:pass@host:port`, `smtps://…` for TLS). */
export class SmtpMailer implements Mailer {
  /** Made on the first message: nodemailer (~2 MiB of heap) is loaded then, not at start. */
  private transport: Promise<Transporter> | undefined;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly from: string,
  ) {}

  async send(message: MailMessage): Promise<void> {
    this.transport ??= import('nodemailer').then((nodemailer) =>
      nodemailer.default.createTransport(this.url),
    );
    const transport = await this.transport;
    if (this.closed) transport.close();
    await transport.sendMail({
      from: this.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
    });
  }

  close(): void {
    this.closed = true;
    void this.transport?.then((transport) => transport.close());
  }
}

/**
 * Without SMTP: writes each message to the log at `warn` (visible at every default level), so the
 * first user of a fresh install can verify their email by opening the link printed there.
 */
export class LogMailer implements Mailer {
  constructor(private readonly logger: Logger) {}

  async send(message: MailMessage): Promise<void> {
    this.logger.warn(
      { mail: { to: message.to, subject: message.subject } },
      `email not sent (no MINEFLEET_SMTP_URL); it reads:\n${message.text}`,
    );
  }

  close(): void {}
}

export function createMailer(
  options: { smtpUrl: string | undefined; from: string },
  logger: Logger,
): SmtpMailer | LogMailer {
  return options.smtpUrl ? new SmtpMailer(options.smtpUrl, options.from) : new LogMailer(logger);
}

/** One email: plain text (links in it are the point, so no HTML is needed). */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/**
 * Sends email. Adapters: SMTP (MINEFLEET_SMTP_URL) or, without SMTP, the log (the message is written
 * there so an operator can follow the link by hand).
 */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

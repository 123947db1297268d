import nodemailer from 'nodemailer';

/** Sends the e-mails of the outbox. Without SMTP configured, mails stay in the outbox (readable in the staff API). */
export interface Mailer {
  send(message: { to: string; subject: string; text: string }): Promise<void>;
}

export function createSmtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(message) {
      await transport.sendMail({ from, to: message.to, subject: message.subject, text: message.text });
    },
  };
}

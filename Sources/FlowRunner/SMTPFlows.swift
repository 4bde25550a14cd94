import Determinism
import ScenarioModel

extension RunContext {
    /// The message an `smtp` step sends, as a help desk's mailer writes a plain-text reply: `From`, `To`,
    /// `Subject`, `Date` at the virtual time and a `Message-ID` numbered per run, so transcripts repeat.
    func renderMessage(_ step: SMTPStep) -> String {
        guard let message = step.message else { return "" }
        sentMessages += 1
        let from = message.from ?? step.session.mailbox
        let domain = from.split(separator: "@").last.map(String.init) ?? "exomock.invalid"
        let headers = [
            "From: \(from)",
            "To: \(message.to.joined(separator: ", "))",
            "Subject: \(message.subject)",
            "Date: \(Timestamps.rfc5322(now))",
            "Message-ID: <exomock-flow-\(sentMessages)@\(domain)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
        ]
        return (headers + [""] + [message.body]).joined(separator: "\r\n")
    }
}

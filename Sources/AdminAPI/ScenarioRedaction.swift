import Foundation

/// `GET /scenario` without `?secrets=true`: the scenario's JSON with every secret replaced by
/// `ScenarioRedaction.marker`, so a log or a screen share of the answer gives nothing away.
///
/// Works on the encoded JSON, not on the model's types, so a field added later is covered by its name:
/// a string under a key that names a password or a secret (`password`, `secret`, `client_secret`,
/// `secrets: [{value}]`), a flow step's `token` (a bearer token), and any string holding a PEM private
/// key (`-----BEGIN ... PRIVATE KEY-----`). Dates, names and certificates' public halves stay.
enum ScenarioRedaction {
    static let marker = "[redacted]"

    /// The JSON object `data` with its secrets replaced; `data` itself when it is not JSON.
    static func redact(_ data: Data) -> Data {
        guard let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            return data
        }
        let redacted = redact(object, underSecret: false)
        return
            (try? JSONSerialization.data(
                withJSONObject: redacted,
                options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes, .fragmentsAllowed]
            )) ?? data
    }

    /// Whether a key names a secret value.
    static func namesSecret(_ key: String) -> Bool {
        let key = key.lowercased()
        return key.contains("password") || key.contains("secret") || key == "token" || key.hasSuffix("_token")
    }

    static func redact(_ value: Any, underSecret: Bool) -> Any {
        switch value {
        case let dictionary as [String: Any]:
            var out: [String: Any] = [:]
            for (key, element) in dictionary {
                let secret = namesSecret(key) || (underSecret && key == "value")
                if element is String, secret {
                    out[key] = marker
                } else {
                    out[key] = redact(element, underSecret: namesSecret(key))
                }
            }
            return out
        case let array as [Any]:
            return array.map { element in
                underSecret && element is String ? marker : redact(element, underSecret: underSecret)
            }
        case let text as String:
            return text.contains("PRIVATE KEY-----") ? marker : text
        default:
            return value
        }
    }
}

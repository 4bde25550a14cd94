import MicrosoftClouds

/// `serve --hosts`: each cloud on its own loopback address and the standard ports, reached by the
/// real host names through `/etc/hosts`.
public enum HostsMode {
    /// The `/etc/hosts` line for a cloud: its loopback address and every host name it serves.
    public static func line(for cloud: Cloud) -> String {
        "\(cloud.hostsModeAddress) \(cloud.allHostNames.joined(separator: " "))"
    }

    /// Fails when two clouds of one scenario claim the same host name (worldwide and gcc share every
    /// name; gcc-high and dod share `login.microsoftonline.us`).
    public static func checkConflicts(_ clouds: [Cloud]) throws {
        var owner: [String: CloudName] = [:]
        for cloud in clouds {
            for host in cloud.allHostNames {
                if let other = owner[host], other != cloud.name {
                    throw ServeError.hostsConflict(host: host, clouds: [other.rawValue, cloud.name.rawValue])
                }
                owner[host] = cloud.name
            }
        }
    }
}

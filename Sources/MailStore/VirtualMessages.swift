/// A folder's generated messages that nothing has changed yet: no per-message state at all, only the
/// runs they come from and the UIDs that have left (changed, and so now stored, or removed).
///
/// A change (flags, expunge, move, POP3 DELE) first takes the message out of here into the folder's
/// stored messages, keeping its generated body: the change is stored, the bytes stay virtual (a
/// message's bytes never change in IMAP).
struct VirtualMessages {
    /// In ascending UID order, with disjoint UID ranges.
    var runs: [GeneratedRun] = []
    /// UIDs of the runs' messages that are no longer virtual.
    var departed: Set<UInt32> = []

    /// How many messages are still virtual.
    var count: Int { runs.reduce(0) { $0 + $1.count } - departed.count }

    /// The run holding `uid` (still virtual) and the message's index in it.
    func locate(_ uid: UInt32) -> (run: GeneratedRun, index: Int)? {
        var low = 0
        var high = runs.count
        while low < high {
            let mid = (low + high) / 2
            if runs[mid].firstUID <= uid { low = mid + 1 } else { high = mid }
        }
        guard low > 0, let range = runs[low - 1].uids, range.contains(uid), !departed.contains(uid) else { return nil }
        return (runs[low - 1], Int(uid - range.lowerBound))
    }

    /// Every message still virtual, in UID order.
    func messages() -> [StoredMessage] {
        var out: [StoredMessage] = []
        out.reserveCapacity(max(0, count))
        for run in runs {
            let layout = run.measured()
            for index in 0..<run.count where !departed.contains(run.firstUID + UInt32(index)) {
                out.append(run.message(at: index, layout: layout))
            }
        }
        return out
    }

    /// Takes the messages with these UIDs (those still virtual) out, and returns them as they were.
    mutating func take(_ uids: Set<UInt32>) -> [StoredMessage] {
        if runs.isEmpty { return [] }
        var taken: [StoredMessage] = []
        for uid in uids {
            guard let (run, index) = locate(uid) else { continue }
            taken.append(run.message(at: index, layout: run.measured()))
            departed.insert(uid)
        }
        return taken
    }

    /// `stored` and `virtual` (each in ascending UID order) merged into one list in UID order.
    static func merge(_ stored: [StoredMessage], _ virtual: [StoredMessage]) -> [StoredMessage] {
        if virtual.isEmpty { return stored }
        if stored.isEmpty { return virtual }
        var out: [StoredMessage] = []
        out.reserveCapacity(stored.count + virtual.count)
        var i = 0
        var j = 0
        while i < stored.count || j < virtual.count {
            if j == virtual.count || (i < stored.count && stored[i].uid < virtual[j].uid) {
                out.append(stored[i])
                i += 1
            } else {
                out.append(virtual[j])
                j += 1
            }
        }
        return out
    }
}

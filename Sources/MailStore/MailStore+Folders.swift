import Determinism
import ExomockLimits
import Foundation
import ScenarioModel
import Synchronization

extension MailStore {
    // MARK: Folders

    /// The mailbox's folders in `LIST` order (case-insensitive name order, as Exchange lists them).
    public func folders(of mailbox: String) throws(MailStoreError) -> [FolderInfo] {
        let result: Result<[FolderInfo], MailStoreError> = state.withLock { state in
            guard let box = state.mailboxes[mailbox.lowercased()] else { return .failure(.mailboxNotFound(mailbox)) }
            let names = box.folders.map(\.name)
            return .success(
                box.folders.map { folder in
                    let prefix = Self.folderKey(folder.name) + "/"
                    return FolderInfo(
                        name: folder.name,
                        subscribed: folder.subscribed,
                        hasChildren: names.contains { Self.folderKey($0).hasPrefix(prefix) },
                        specialUse: Self.specialUse(of: folder.name))
                }.sorted { $0.name.lowercased() < $1.name.lowercased() })
        }
        return try result.get()
    }

    /// A copy of the folder as it is now.
    public func snapshot(mailbox: String, folder: String) throws(MailStoreError) -> FolderSnapshot {
        // A folder's first open measures its generated runs (a counting pass, milliseconds for a few hundred
        // messages): done here, outside the store's lock, so it holds up no other mailbox.
        for run in try withFolder(mailbox, folder, { folderState, _ in folderState.virtual.runs }) {
            _ = run.measured()
        }
        return try withFolder(mailbox, folder) { folderState, _ in folderState.snapshot }
    }

    public func createFolder(mailbox: String, name: String) throws(MailStoreError) {
        guard Self.isValidFolderName(name) else { throw .invalidFolderName(name) }
        let validity = Self.makeUIDValidity(ids)
        let result: Result<Void, MailStoreError> = state.withLock { state in
            guard var box = state.mailboxes[mailbox.lowercased()] else { return .failure(.mailboxNotFound(mailbox)) }
            if box.index(of: name) != nil { return .failure(.folderExists(name)) }
            box.folders.append(
                FolderState(name: name, uidValidity: validity, uidNext: 1, subscribed: true, messages: []))
            state.mailboxes[mailbox.lowercased()] = box
            return .success(())
        }
        try result.get()
    }

    public func deleteFolder(mailbox: String, name: String) throws(MailStoreError) {
        if Self.isDefaultFolder(name) { throw .folderProtected(name) }
        let callbacks: [Callback] = try mutate(mailbox) { box, state throws(MailStoreError) in
            guard let index = box.index(of: name) else { throw .folderNotFound(name) }
            let removed = box.folders.remove(at: index)
            return Self.subscribers(state, mailbox, removed.name)
        }
        for callback in callbacks { callback(.folderGone) }
    }

    /// Renames a folder (and its subfolders). Renaming the Inbox is refused (Exchange's Inbox is fixed).
    public func renameFolder(mailbox: String, from: String, to: String) throws(MailStoreError) {
        if Self.isDefaultFolder(from) { throw .folderProtected(from) }
        guard Self.isValidFolderName(to) else { throw .invalidFolderName(to) }
        let callbacks: [Callback] = try mutate(mailbox) { box, state throws(MailStoreError) in
            guard let index = box.index(of: from) else { throw .folderNotFound(from) }
            if box.index(of: to) != nil { throw .folderExists(to) }
            let oldName = box.folders[index].name
            let prefix = Self.folderKey(oldName) + "/"
            var gone = Self.subscribers(state, mailbox, oldName)
            box.folders[index].name = to
            for i in box.folders.indices where Self.folderKey(box.folders[i].name).hasPrefix(prefix) {
                gone += Self.subscribers(state, mailbox, box.folders[i].name)
                box.folders[i].name = to + "/" + box.folders[i].name.dropFirst(prefix.count)
            }
            return gone
        }
        for callback in callbacks { callback(.folderGone) }
    }

    public func setSubscribed(mailbox: String, folder: String, _ subscribed: Bool) throws(MailStoreError) {
        let _: Void = try mutateFolder(mailbox, folder) { f in
            f.subscribed = subscribed
            return ((), nil)
        }
    }
}

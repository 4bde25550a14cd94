import ArgumentParser

/// `exomock run`: plays scenario flows against the mock (filled in by the flow-runner work).
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Play scenario flows against the mock.")

    @Argument(help: "Scenario files to run.")
    var files: [String] = []

    func run() async throws {}
}

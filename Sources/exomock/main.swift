import ExomockCLI

await ExomockCommand.start()

import FuzzSupport
import ScenarioLoader

// libFuzzer target: scenario text through the loader (YAML composition, mapping, the model's rules).
// `.eml` paths resolve nowhere (no base directory). Invariants: no trap; a refusal names at least one
// problem, each located in this file (`fuzz.yaml:LINE:COL:`).

runFuzzer { input in
    let text = String(decoding: input, as: UTF8.self)
    do throws(ScenarioLoadError) {
        _ = try ScenarioLoader.load(yaml: text, fileName: "fuzz.yaml", baseDirectory: nil)
    } catch {
        guard !error.problems.isEmpty, error.problems.allSatisfy({ $0.file == "fuzz.yaml" }) else {
            fatalError("a refusal without a located problem: \(error)")
        }
    }
}

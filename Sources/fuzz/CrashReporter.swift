import Foundation
import Fuzzing

/// On a crash (trap, segfault, abort) prints the target and case to replay with `fuzz --target T --replay N`.
/// Best effort: the message is formatted with allocations, not strictly async-signal-safe, which is fine for the
/// Swift traps (overflow, bad index, force unwrap) a fuzzer finds.
enum CrashReporter {
    nonisolated(unsafe) static var target = ""

    static func install() {
        for signalNumber in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE] {
            signal(signalNumber) { signalNumber in
                var text = Array("\nfuzz: crashed (signal \(signalNumber)) in case ".utf8)
                let number = FuzzRunner.currentCase.load(ordering: .relaxed)
                text += Array(String(number).utf8) + Array(" of target ".utf8) + Array(CrashReporter.target.utf8) + [10]
                _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
                _exit(70)
            }
        }
    }
}

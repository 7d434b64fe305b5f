import Foundation

/// Runs test helpers (sipp, Chromium's driver, the built binary, node) with their blocking calls on threads of
/// their own. Swift concurrency has one cooperative thread per core (two here): a `readDataToEndOfFile` or
/// `waitUntilExit` on one of them, even inside `Task.detached`, takes it from every server under test for as long
/// as the child runs, and under the whole suite that starves them into timeouts.
public enum ChildProcess {
    public struct Output: Sendable {
        public let status: Int32
        public let stdout: Data
        public let stderr: Data
    }

    private final class Box: @unchecked Sendable {
        var data = Data()
    }

    /// Starts `executable` with `arguments` and returns its exit status and both outputs once it has ended.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: URL? = nil
    ) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: executable)
                p.arguments = arguments
                if let environment { p.environment = environment }
                if let directory { p.currentDirectoryURL = directory }
                let out = Pipe(), err = Pipe()
                p.standardOutput = out
                p.standardError = err
                do { try p.run() } catch {
                    continuation.resume(throwing: error)
                    return
                }
                // Both pipes are drained at once, so a child that writes a lot to one never blocks on the other.
                let errors = Box(), done = DispatchSemaphore(value: 0)
                Thread.detachNewThread {
                    errors.data = err.fileHandleForReading.readDataToEndOfFile()
                    done.signal()
                }
                let output = out.fileHandleForReading.readDataToEndOfFile()
                done.wait()
                waitForExit(p)
                continuation.resume(returning: Output(status: p.terminationStatus, stdout: output, stderr: errors.data))
            }
        }
    }

    /// Waits for a process started elsewhere to end, off the cooperative threads; returns its exit status.
    /// Like `exit(of:)`, but a child still running after `limit` is killed (a peer stuck waiting for a message
    /// that never comes must fail its test, not hang the suite); its status is then that of the kill.
    public static func exit(of p: Process, within limit: Duration) async -> Int32 {
        let pid = p.processIdentifier
        let watchdog = Task.detached {
            try? await Task.sleep(for: limit)
            if !Task.isCancelled, p.isRunning { kill(pid, SIGKILL) }
        }
        let status = await exit(of: p)
        watchdog.cancel()
        return status
    }

    public static func exit(of p: Process) async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                waitForExit(p)
                continuation.resume(returning: p.terminationStatus)
            }
        }
    }

    /// Blocks the calling thread until `p` has ended. Not `Process.waitUntilExit`: on Linux it spins the thread's
    /// empty run loop without sleeping (a whole core for as long as the child runs); Foundation's own SIGCHLD
    /// handler updates `isRunning`, so a short sleep between looks costs nothing.
    public static func waitForExit(_ p: Process) {
        while p.isRunning { usleep(10_000) }
    }
}

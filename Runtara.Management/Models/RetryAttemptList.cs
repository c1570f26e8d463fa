namespace Runtara.Management;

public sealed record RetryAttemptList(IReadOnlyList<RetryAttemptInfo> Attempts, long TotalCount, int Limit, int Offset);

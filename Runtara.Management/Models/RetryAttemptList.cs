namespace Runtara.Management;

/// <summary>One page of an instance's recorded step retries.</summary>
/// <param name="Attempts">The attempts on this page, by step key then attempt number.</param>
/// <param name="TotalCount">How many attempts match in all.</param>
/// <param name="Limit">The page size the server applied.</param>
/// <param name="Offset">How many attempts were skipped before this page.</param>
/// <param name="NextOffset">The offset of the next page, or null on the last one. Page with this, not with Offset + Limit: the server ends a page early when its answer would pass its byte budget.</param>
public sealed record RetryAttemptList(IReadOnlyList<RetryAttemptInfo> Attempts, long TotalCount, int Limit, int Offset, int? NextOffset = null);

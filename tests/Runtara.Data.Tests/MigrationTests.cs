namespace Runtara.Data.Tests;

/// <summary>What the runner accepts before it touches a database, and how checksums are taken.</summary>
public sealed class MigrationTests
{
    private static readonly MigrationHistoryTable History = new("schema_migrations");

    [Fact]
    public void Checksum_is_the_sha256_of_the_sql_whatever_its_line_endings()
    {
        var lf = new Migration(1, "a", "CREATE TABLE a (x INTEGER);\nCREATE TABLE b (y INTEGER);\n");
        var crlf = lf with { Sql = lf.Sql.ReplaceLineEndings("\r\n") };

        Assert.Equal(lf.Checksum, crlf.Checksum);
        Assert.Equal(64, lf.Checksum.Length);
        Assert.NotEqual(lf.Checksum, (lf with { Sql = lf.Sql + " " }).Checksum);
    }

    [Theory]
    [InlineData(new[] { 1, 3 })]
    [InlineData(new[] { 2, 1 })]
    [InlineData(new[] { 0, 1 })]
    [InlineData(new[] { 1, 1 })]
    [InlineData(new[] { 2, 3 })]
    public void Versions_must_run_from_one_without_gaps(int[] versions)
    {
        var migrations = versions.Select(v => new Migration(v, $"m{v}", "SELECT 1;"));

        Assert.Throws<ArgumentException>(() => new MigrationRunner(MigrationDialect.Sqlite, History, migrations));
    }

    [Fact]
    public void Contiguous_versions_are_accepted_in_order()
    {
        var runner = new MigrationRunner(MigrationDialect.PostgreSql, History, [new(1, "a", "SELECT 1;"), new(2, "b", "SELECT 2;")]);

        Assert.Equal([1, 2], runner.Migrations.Select(m => m.Version));
    }

    [Theory]
    [InlineData("schema migrations", "applied_at")]
    [InlineData("schema_migrations;DROP", "applied_at")]
    [InlineData("1st", "applied_at")]
    [InlineData("schema_migrations", "applied-at")]
    [InlineData("", "applied_at")]
    public void History_names_must_be_plain_identifiers(string table, string appliedAt) =>
        Assert.Throws<ArgumentException>(() => new MigrationRunner(MigrationDialect.Sqlite, new MigrationHistoryTable(table, appliedAt), [new(1, "a", "SELECT 1;")]));

    [Fact]
    public void Migration_without_sql_is_refused() =>
        Assert.Throws<ArgumentException>(() => new MigrationRunner(MigrationDialect.Sqlite, History, [new(1, "a", " ")]));
}

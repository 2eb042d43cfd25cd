using System.Reflection;
using System.Reflection.Emit;
using ITwinAuth.Core.Loading;
using Xunit;

namespace ITwinAuth.Core.Tests;

/// <summary>
/// The Windows PowerShell build's resolve rules, with synthetic requests against a private folder
/// holding a real assembly: who asks decides which versions get the shipped copy.
/// </summary>
public sealed class DependencyCatalogTests : IDisposable
{
    private readonly string _module = Directory.CreateTempSubdirectory("itwinauth-module-").FullName;
    private readonly string _shipped;
    private readonly AssemblyName _name;
    private readonly Version _lower;
    private readonly Version _higher;

    public DependencyCatalogTests()
    {
        var dependencies = Directory.CreateDirectory(Path.Combine(_module, "dependencies")).FullName;
        var source = typeof(Assert).Assembly.Location;
        _shipped = Path.Combine(dependencies, Path.GetFileName(source));
        File.Copy(source, _shipped);
        _name = AssemblyName.GetAssemblyName(_shipped);
        _lower = new Version(1, 0, 0, 0);
        _higher = new Version(_name.Version!.Major + 1, 0, 0, 0);
    }

    public void Dispose() => Directory.Delete(_module, recursive: true);

    private DependencyCatalog Catalog() => new(_module, Path.Combine(_module, "dependencies"));

    private AssemblyName Requested(Version? version) => new(_name.Name!) { Version = version };

    private string Foreign => Path.Combine(Path.GetTempPath(), "OtherModule", "bin", "Other.dll");

    [Fact]
    public void Lists_the_assemblies_of_the_dependencies_folder() =>
        Assert.Equal(new[] { _name.Name! }, Catalog().Names);

    [Theory]
    [InlineData("ITwinAuth.dll")]
    [InlineData("ITwinAuth.Core.dll")]
    public void ITwinAuths_own_assemblies_get_our_copy_whatever_version_they_name(string requester)
    {
        var location = Path.Combine(_module, requester);
        foreach (var version in new[] { _lower, _name.Version!, _higher })
            Assert.Equal(_shipped, Catalog().Resolve(Requested(version), location));
    }

    [Fact]
    public void A_shipped_dependency_gets_our_copy_whatever_version_it_names()
    {
        // System.Memory asking for an older System.Buffers than the one shipped, say.
        foreach (var version in new[] { _lower, _name.Version!, _higher })
            Assert.Equal(_shipped, Catalog().Resolve(Requested(version), _shipped));
    }

    [Fact]
    public void No_requester_gets_our_copy_for_our_version_or_an_older_one()
    {
        // .NET Framework often names no requester, even for ITwinAuth's own references.
        Assert.Equal(_shipped, Catalog().Resolve(Requested(_lower), (string?)null));
        Assert.Equal(_shipped, Catalog().Resolve(Requested(_name.Version!), (string?)null));
        Assert.Equal(_shipped, Catalog().Resolve(Requested(null), (string?)null));
        Assert.Equal(_shipped, Catalog().Resolve(Requested(_lower), (Assembly?)null));
    }

    [Fact]
    public void No_requester_asking_for_a_newer_version_than_ours_is_left_to_others() =>
        Assert.Null(Catalog().Resolve(Requested(_higher), (string?)null));

    [Fact]
    public void Another_module_gets_our_copy_only_for_exactly_our_version()
    {
        Assert.Equal(_shipped, Catalog().Resolve(Requested(_name.Version!), Foreign));
        Assert.Null(Catalog().Resolve(Requested(_lower), Foreign));
        Assert.Null(Catalog().Resolve(Requested(_higher), Foreign));
        Assert.Null(Catalog().Resolve(Requested(null), Foreign));
    }

    [Fact]
    public void Another_file_in_our_folder_is_not_ours()
    {
        Assert.Null(Catalog().Resolve(Requested(_lower), Path.Combine(_module, "Other.dll")));
        Assert.Null(Catalog().Resolve(Requested(_lower), Path.Combine(_module, "dependencies", "Other.dll")));
    }

    [Fact]
    public void A_folder_that_merely_starts_like_ours_is_not_ours()
    {
        var lookalike = _module + "-evil" + Path.DirectorySeparatorChar + "ITwinAuth.dll";
        Assert.Null(Catalog().Resolve(Requested(_lower), lookalike));
    }

    [Fact]
    public void A_requester_without_a_file_is_another_module_and_never_breaks_the_load()
    {
        // PowerShell classes and Add-Type make dynamic assemblies; Location throws for them on .NET Framework.
        var dynamic = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("ITwinAuth.Tests.Dynamic"), AssemblyBuilderAccess.Run);
        Assert.Null(Catalog().Resolve(Requested(_lower), dynamic));
        Assert.Equal(_shipped, Catalog().Resolve(Requested(_name.Version!), dynamic));
        Assert.Null(Catalog().Resolve(Requested(_lower), string.Empty));
    }

    [Fact]
    public void Unknown_names_are_left_to_others() =>
        Assert.Null(Catalog().Resolve(new AssemblyName("Not.Shipped") { Version = new Version(1, 0) }, Path.Combine(_module, "ITwinAuth.dll")));

    [Fact]
    public void A_missing_dependencies_folder_offers_nothing() =>
        Assert.Empty(new DependencyCatalog(_module, Path.Combine(_module, "absent")).Names);
}

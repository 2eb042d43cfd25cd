<#
.SYNOPSIS
    Turns the markdown help in docs/ into MAML (ITwinAuth.dll-Help.xml) and about_ITwinAuth.help.txt.
.DESCRIPTION
    platyPS is not available to the build, so this writes MAML itself. Parameter types, sets,
    positions and pipeline input come from the compiled cmdlets (so they cannot drift from the
    code); synopsis, description, parameter descriptions, defaults, examples, notes and links
    come from docs/<Cmdlet>.md. Runs in a child pwsh so the build process loads no module DLL.
#>
param(
    [Parameter(Mandatory)] [string] $DocsPath,
    [Parameter(Mandatory)] [string] $ModulePath
)
$ErrorActionPreference = 'Stop'

if (-not $env:ITWINAUTH_HELP_CHILD) {
    $env:ITWINAUTH_HELP_CHILD = '1'
    try {
        Import-Module (Join-Path $PSScriptRoot '../tests/ChildPwsh.psm1')
        $pwsh = Get-PwshCommand
        & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File $PSCommandPath -DocsPath $DocsPath -ModulePath $ModulePath
        if ($LASTEXITCODE -ne 0) { throw "Building help failed (exit code $LASTEXITCODE)." }
    }
    finally { Remove-Item Env:ITWINAUTH_HELP_CHILD }
    return
}

# --- Markdown: "## SECTION" blocks, "### Example n: title" / "### -Parameter" sub-blocks ---------
function Read-HelpMarkdown([string] $Path) {
    $text = (Get-Content -Path $Path -Raw) -replace "`r`n", "`n"
    $text = $text -replace '(?s)^---\n.*?\n---\n', ''
    $sections = [ordered]@{}
    foreach ($block in ($text -split '(?m)^## ' | Select-Object -Skip 1)) {
        $newline = $block.IndexOf("`n")
        $sections[$block.Substring(0, $newline).Trim()] = $block.Substring($newline + 1).Trim()
    }
    $sections
}

function Split-SubSections([string] $Text) {
    $result = [ordered]@{}
    foreach ($block in ($Text -split '(?m)^### ' | Select-Object -Skip 1)) {
        $newline = $block.IndexOf("`n")
        if ($newline -lt 0) { $result[$block.Trim()] = ''; continue }
        $result[$block.Substring(0, $newline).Trim()] = $block.Substring($newline + 1).Trim()
    }
    $result
}

# Plain paragraphs: code fences kept verbatim, inline markdown stripped.
function ConvertTo-Paragraphs([string] $Text) {
    if (-not $Text) { return @() }
    $Text = $Text -replace '\[([^\]]+)\]\([^)]+\)', '$1' -replace '\*\*([^*]+)\*\*', '$1' -replace '(?<![`\w])`([^`]+)`(?![`\w])', '$1'
    ($Text -split "\n\s*\n") | ForEach-Object { ($_ -split "`n" | ForEach-Object { $_.TrimEnd() }) -join "`n" } | Where-Object { $_.Trim() }
}

function Get-Example([string] $Text) {
    foreach ($entry in (Split-SubSections $Text).GetEnumerator()) {
        if ($entry.Value -notmatch '(?s)```(?:powershell)?\n(.*?)\n```(.*)$') { throw "Example '$($entry.Key)' has no code block." }
        [pscustomobject]@{ Title = $entry.Key; Code = $Matches[1]; Remarks = $Matches[2].Trim() }
    }
}

# --- MAML ------------------------------------------------------------------------------------------
$maml = 'http://schemas.microsoft.com/maml/2004/10'
$command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$dev = 'http://schemas.microsoft.com/maml/dev/2004/10'

function Add-Element($Writer, [string] $Prefix, [string] $Name, [string] $Namespace, [string] $Text) {
    $Writer.WriteStartElement($Prefix, $Name, $Namespace)
    if ($null -ne $Text) { $Writer.WriteString($Text) }
    $Writer.WriteEndElement()
}

function Add-Paragraphs($Writer, [string[]] $Paragraphs) {
    $Writer.WriteStartElement('maml', 'description', $maml)
    foreach ($p in $Paragraphs) { Add-Element $Writer 'maml' 'para' $maml $p }
    if (-not $Paragraphs) { Add-Element $Writer 'maml' 'para' $maml '' }
    $Writer.WriteEndElement()
}

# A parameter's real type: int? is shown as Int32, never Nullable`1.
function Get-ParameterType([type] $Type) {
    if ($Type.IsGenericType -and $Type.GetGenericTypeDefinition() -eq [Nullable`1]) { return $Type.GetGenericArguments()[0] }
    $Type
}

function Get-TypeName([type] $Type) { (Get-ParameterType $Type).FullName }

# Where the help lives online: Get-Help -Online opens it.
$onlineBase = 'https://github.com/itwinauth/ITwinAuth/blob/main/docs'

function Add-Parameter($Writer, $Parameter, $SetParameter, [hashtable] $Docs, [int] $Position = $SetParameter.Position) {
    $doc = $Docs[$Parameter.Name]
    if (-not $doc) { throw "docs: parameter -$($Parameter.Name) of $($script:CurrentCommand) is not documented." }
    $pipeline = @()
    if ($SetParameter.ValueFromPipeline) { $pipeline += 'ByValue' }
    if ($SetParameter.ValueFromPipelineByPropertyName) { $pipeline += 'ByPropertyName' }
    $Writer.WriteStartElement('command', 'parameter', $command)
    $Writer.WriteAttributeString('required', ([string]$SetParameter.IsMandatory).ToLowerInvariant())
    $Writer.WriteAttributeString('variableLength', ([string]$Parameter.ParameterType.IsArray).ToLowerInvariant())
    $Writer.WriteAttributeString('globbing', 'false')
    $Writer.WriteAttributeString('pipelineInput', $(if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' }))
    $Writer.WriteAttributeString('position', $(if ($Position -ge 0) { [string]$Position } else { 'named' }))
    $Writer.WriteAttributeString('aliases', $(if ($Parameter.Aliases.Count) { $Parameter.Aliases -join ', ' } else { 'none' }))
    Add-Element $Writer 'maml' 'name' $maml $Parameter.Name
    Add-Paragraphs $Writer (ConvertTo-Paragraphs $doc.Description)
    if ($Parameter.ParameterType -ne [switch]) {
        $Writer.WriteStartElement('command', 'parameterValue', $command)
        $Writer.WriteAttributeString('required', 'true')
        $Writer.WriteAttributeString('variableLength', 'false')
        $Writer.WriteString((Get-ParameterType $Parameter.ParameterType).Name)
        $Writer.WriteEndElement()
    }
    $Writer.WriteStartElement('dev', 'type', $dev)
    Add-Element $Writer 'maml' 'name' $maml (Get-TypeName $Parameter.ParameterType)
    $Writer.WriteEndElement()
    Add-Element $Writer 'dev' 'defaultValue' $dev $doc.Default
    $Writer.WriteEndElement()
}

function Read-ParameterDocs([string] $Text) {
    $docs = @{}
    foreach ($entry in (Split-SubSections $Text).GetEnumerator()) {
        $name = $entry.Key.TrimStart('-')
        $description = $entry.Value
        $default = 'None'
        if ($description -match '(?m)^Default value:\s*(.+)$') {
            $default = $Matches[1].Trim()
            $description = ($description -replace '(?m)^Default value:.*$', '').Trim()
        }
        $docs[$name] = @{ Description = $description; Default = $default }
    }
    $docs
}

$module = Import-Module (Join-Path $ModulePath 'ITwinAuth.psd1') -PassThru -Force
$common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
$culture = Join-Path $ModulePath 'en-US'
New-Item -ItemType Directory -Path $culture -Force | Out-Null
$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
$helpFile = Join-Path $culture 'ITwinAuth.dll-Help.xml'
$writer = [System.Xml.XmlWriter]::Create($helpFile, $settings)
$writer.WriteStartDocument()
$writer.WriteStartElement('helpItems', 'http://msh')
$writer.WriteAttributeString('schema', 'maml')

foreach ($cmdlet in ($module.ExportedCmdlets.Values | Sort-Object Name)) {
    $script:CurrentCommand = $cmdlet.Name
    $markdown = Join-Path $DocsPath "$($cmdlet.Name).md"
    if (-not (Test-Path $markdown)) { throw "docs: $($cmdlet.Name) has no page ($markdown)." }
    $doc = Read-HelpMarkdown $markdown
    foreach ($required in 'SYNOPSIS', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS') {
        if (-not $doc.Contains($required)) { throw "docs: $markdown has no '## $required' section." }
    }
    $parameterDocs = Read-ParameterDocs $doc['PARAMETERS']
    $examples = @(Get-Example $doc['EXAMPLES'])
    if ($examples.Count -lt 2) { throw "docs: $($cmdlet.Name) needs at least two examples." }

    $writer.WriteStartElement('command', 'command', $command)
    $writer.WriteAttributeString('xmlns', 'maml', $null, $maml)
    $writer.WriteAttributeString('xmlns', 'dev', $null, $dev)
    $writer.WriteStartElement('command', 'details', $command)
    Add-Element $writer 'command' 'name' $command $cmdlet.Name
    Add-Element $writer 'command' 'verb' $command $cmdlet.Verb
    Add-Element $writer 'command' 'noun' $command $cmdlet.Noun
    Add-Paragraphs $writer (ConvertTo-Paragraphs $doc['SYNOPSIS'])
    $writer.WriteEndElement()
    Add-Paragraphs $writer (ConvertTo-Paragraphs $doc['DESCRIPTION'])

    $writer.WriteStartElement('command', 'syntax', $command)
    foreach ($set in $cmdlet.ParameterSets) {
        $writer.WriteStartElement('command', 'syntaxItem', $command)
        Add-Element $writer 'maml' 'name' $maml $cmdlet.Name
        foreach ($setParameter in ($set.Parameters | Where-Object Name -notin $common)) {
            Add-Parameter $writer $cmdlet.Parameters[$setParameter.Name] $setParameter $parameterDocs
        }
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'parameters', $command)
    foreach ($parameter in ($cmdlet.Parameters.Values | Where-Object Name -notin $common | Sort-Object Name)) {
        $inSets = @($cmdlet.ParameterSets.Parameters | Where-Object Name -eq $parameter.Name)
        # Positional in any set: the parameter's own block says so (the syntax shows it per set).
        $positional = @($inSets | Where-Object Position -ge 0)
        $position = if ($positional) { $positional[0].Position } else { -1 }
        Add-Parameter $writer $parameter $inSets[0] $parameterDocs -Position $position
    }
    $writer.WriteEndElement()

    foreach ($kind in @(@{ Section = 'INPUTS'; Outer = 'inputTypes'; Inner = 'inputType' }, @{ Section = 'OUTPUTS'; Outer = 'returnValues'; Inner = 'returnValue' })) {
        if (-not $doc.Contains($kind.Section)) { continue }
        $writer.WriteStartElement('command', $kind.Outer, $command)
        foreach ($entry in (Split-SubSections $doc[$kind.Section]).GetEnumerator()) {
            $writer.WriteStartElement('command', $kind.Inner, $command)
            $writer.WriteStartElement('dev', 'type', $dev)
            Add-Element $writer 'maml' 'name' $maml $entry.Key
            $writer.WriteEndElement()
            Add-Paragraphs $writer (ConvertTo-Paragraphs $entry.Value)
            $writer.WriteEndElement()
        }
        $writer.WriteEndElement()
    }

    if ($doc.Contains('NOTES')) {
        $writer.WriteStartElement('maml', 'alertSet', $maml)
        $writer.WriteStartElement('maml', 'alert', $maml)
        foreach ($p in (ConvertTo-Paragraphs $doc['NOTES'])) { Add-Element $writer 'maml' 'para' $maml $p }
        $writer.WriteEndElement()
        $writer.WriteEndElement()
    }

    $writer.WriteStartElement('command', 'examples', $command)
    foreach ($example in $examples) {
        $writer.WriteStartElement('command', 'example', $command)
        # Every header the same width, so that they line up in Get-Help's output.
        $title = "---------- $($example.Title) "
        Add-Element $writer 'maml' 'title' $maml ($title + '-' * [Math]::Max(10, 100 - $title.Length))
        Add-Element $writer 'dev' 'code' $dev $example.Code
        $writer.WriteStartElement('dev', 'remarks', $dev)
        foreach ($p in (ConvertTo-Paragraphs $example.Remarks)) { Add-Element $writer 'maml' 'para' $maml $p }
        $writer.WriteEndElement()
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'relatedLinks', $command)
    $writer.WriteStartElement('maml', 'navigationLink', $maml)
    Add-Element $writer 'maml' 'linkText' $maml 'Online Version:'
    Add-Element $writer 'maml' 'uri' $maml "$onlineBase/$($cmdlet.Name).md"
    $writer.WriteEndElement()
    if ($doc.Contains('RELATED LINKS')) {
        foreach ($line in ($doc['RELATED LINKS'] -split "`n" | Where-Object { $_.Trim() })) {
            $writer.WriteStartElement('maml', 'navigationLink', $maml)
            $link = $line.Trim().TrimStart('-', '*', ' ') -replace '\[([^\]]+)\]\(([^)]*)\)', '$1|$2'
            $parts = $link -split '\|', 2
            Add-Element $writer 'maml' 'linkText' $maml $parts[0]
            Add-Element $writer 'maml' 'uri' $maml $(if ($parts.Count -gt 1) { $parts[1] } else { '' })
            $writer.WriteEndElement()
        }
    }
    $writer.WriteEndElement()
    $writer.WriteEndElement()
}
$writer.WriteEndElement()
$writer.WriteEndDocument()
$writer.Close()

# about_ITwinAuth: the markdown, as plain text.
$about = (Get-Content (Join-Path $DocsPath 'about_ITwinAuth.md') -Raw) -replace "`r`n", "`n"
$about = $about -replace '(?m)^#+\s*', '' -replace '```(powershell)?\n', '' -replace '\*\*([^*]+)\*\*', '$1'
Set-Content -Path (Join-Path $culture 'about_ITwinAuth.help.txt') -Value $about -Encoding utf8
Write-Host "Help: $helpFile and about_ITwinAuth.help.txt"

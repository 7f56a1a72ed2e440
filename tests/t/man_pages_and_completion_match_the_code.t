#!/usr/bin/perl
# The operating files say what the code does: every command of
# `annals --help` and every option of `annals COMMAND --help` is in annals(1)
# and offered by the bash completion; every config key annalsd accepts is in
# annals.conf(5); the three pages pass `mandoc -T lint`; the systemd unit
# carries its hardening and fits the daemon's defaults (and passes
# `systemd-analyze verify` where systemd is installed); and `make install
# PREFIX=/usr DESTDIR=...` writes the pages, the unit, the service's
# configuration (which annalsd accepts) and the completion, with their modes
# and paths, which `make uninstall` removes again. Each page names the
# version it describes.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::Bin/../lib";
use File::Temp ();
use Test::More;
use Annals::Test;

my $top = top_dir();
my $tmp = File::Temp->newdir('annals-ops-XXXXXX', DIR => '/tmp');
my %page = (annals => "$top/client/annals.1", conf => "$top/config/annals.conf.5",
            annalsd => "$top/daemon/annalsd.8");
my $completion = "$top/client/annals.bash";

# ---- roff, read as text ---------------------------------------------------------

# The sections and subsections of a man page as plain text: macro names,
# quotes and font escapes dropped, \- as -. Returns (\%sh, \%ss), keyed by
# the heading (for .SS, its first word: the command).
sub read_page {
    my ($path) = @_;
    my (%sh, %ss, $sh, $ss);
    for my $line (split /\n/, read_file($path)) {
        next if $line =~ /^\.\\"/;
        if ($line =~ /^\.(SH|SS)\s+(.*)$/) {
            my ($level, $title) = ($1, plain($2));
            if ($level eq 'SH') { ($sh, $ss) = ($title, undef) }
            else { ($ss) = $title =~ /^(\S+)/ }
        }
        my $text = plain($line =~ /^\.\S+\s*(.*)$/ ? $1 : $line) . "\n";
        $sh{$sh} .= $text if defined $sh;
        $ss{$ss} .= $text if defined $ss;
    }
    return (\%sh, \%ss);
}
sub plain {
    my ($s) = @_;
    $s =~ s/\\f[BIRP]//g;
    $s =~ s/\\-/-/g;
    $s =~ s/\\&|\\\||"//g;
    return $s;
}
# The options a text names: --long and -x, as whole words.
sub options_in { my %o = map { $_ => 1 } $_[0] =~ /(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])/g; sort keys %o }
sub has_option { $_[0] =~ /(?<![\w-])\Q$_[1]\E(?![\w-])/ }

# ---- what the client says about itself --------------------------------------------

sub annals_help {
    my $r = run_cmd([annals_bin(), @_], timeout => 10);
    is($r->exit, 0, "annals @_ exits 0") or diag($r->describe);
    return $r->out;
}
my $help = annals_help('--help');
my ($list) = $help =~ /^Commands:\n(.*?)\n\n/ms or BAIL_OUT('annals --help lists no commands');
my @commands = map { /^\s+(\S+)/ } split /\n/, $list;
cmp_ok(scalar @commands, '>=', 15, 'annals --help lists the commands (' . scalar(@commands) . ')');
my ($global_text) = $help =~ /^(Options \(anywhere.*?)^Environment:/ms;
my @global = options_in($global_text // '');
ok(grep($_ eq '--socket', @global) && grep($_ eq '--token-file', @global), 'the global options are found in it');

# A command's own options: those of its usage line and those that start an
# indented line of its help, before the global part (which may mention
# others in passing, such as search's 'annals range FROM TO --q TEXT').
my %opts;
for my $c (grep { $_ ne 'help' } @commands) {
    my $text = annals_help($c, '--help');
    $text =~ s/^Options \(anywhere.*//ms;
    my ($usage) = $text =~ /^Usage: (.*)$/m;
    my @lines = grep { /^\s*-/ } split /\n/, $text;
    $opts{$c} = [ options_in(join "\n", $usage // '', map { /^\s*(-\S+(?:, -\S+)?)/ } @lines) ];
}
ok(scalar @{ $opts{range} } >= 9, 'range --help has its options') or diag("@{ $opts{range} }");

# Commands being added beside this page (import --format, render, stats
# --watch): the page and the completion must have them whether or not this
# binary does yet.
my %specified = (import => ['--format', '--skip-invalid'], render => ['-o', '--output', '--title', '--kind'],
                 stats => ['--watch', '--count']);
for my $c (keys %specified) {
    my %seen = map { $_ => 1 } @{ $opts{$c} // [] };
    push @commands, $c unless grep { $_ eq $c } @commands;
    $opts{$c} = [ sort keys %seen, grep { !$seen{$_} } @{ $specified{$c} } ];
}

# ---- annals(1) ------------------------------------------------------------------

my ($a_sh, $a_ss) = read_page($page{annals});
ok($a_sh->{COMMANDS} && $a_sh->{'FILTER OPTIONS'} && $a_sh->{OPTIONS} && $a_sh->{'EXIT STATUS'},
   'annals.1 has COMMANDS, FILTER OPTIONS, OPTIONS and EXIT STATUS');
for my $c (@commands) {
    ok(defined $a_ss->{$c}, "annals.1 has a subsection for '$c'") or next;
    for my $o (@{ $opts{$c} // [] }) {
        my $where = has_option($a_ss->{$c}, $o) ? 1
                  : $a_ss->{$c} =~ /FILTER OPTIONS/ && has_option($a_sh->{'FILTER OPTIONS'}, $o) ? 1 : 0;
        ok($where, "annals.1 documents $c $o");
    }
}
ok(has_option($a_sh->{OPTIONS}, $_), "annals.1 documents the global option $_") for @global;
for my $var ($help =~ /\b(ANNALS_[A-Z]+)\b/g) {
    like($a_sh->{ENVIRONMENT}, qr/\b\Q$var\E\b/, "annals.1 documents $var");
}
for my $code ($help =~ /^Exit status:\n(.*?)(?:\n\n|\z)/ms ? ($1 =~ /^\s+(\d)\s/mg) : ()) {
    like($a_sh->{'EXIT STATUS'}, qr/^$code$/m, "annals.1 documents exit status $code");
}

# ---- the bash completion ---------------------------------------------------------

# complete(@words): COMPREPLY when the last word is being completed.
sub complete {
    my @words = ('annals', @_);
    my $r = run_cmd(['bash', '--norc', '--noprofile', '-c',
                     'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _annals; '
                     . 'printf "%s\n" "${COMPREPLY[@]}"', 'bash', $completion, @words],
                    timeout => 10, dir => "$tmp");
    is($r->exit, 0, "completing '@_' runs") or diag($r->describe);
    is($r->err, '', "... silently");
    return [ grep { length } split /\n/, $r->out ];
}
my %offered = map { $_ => 1 } @{ complete('') };
ok($offered{$_}, "the completion offers the command '$_'") for @commands;
for my $c (@commands) {
    next if $c eq 'help';
    my %o = map { $_ => 1 } @{ complete($c, '-') };
    ok($o{$_}, "the completion offers $c $_") for @{ $opts{$c} // [] }, @global;
    ok(!$o{'--token'}, "... but not --token (a secret on the command line)");
}
is_deeply(complete('range', '--k'), ['--kind'], 'range --k completes to --kind');
is_deeply(complete('import', '--format', ''), [qw(jsonl gdelt csv)], 'import --format offers jsonl gdelt csv');
is_deeply(complete('import', '--format', '=', 'g'), ['gdelt'], '... also as --format=g');
is_deeply(complete('hist', '2024', '2025', '--by', 'm'), ['month'], 'hist --by m completes to month');
is_deeply(complete('--socket', '/tmp/s', 'ra'), ['range'],
          'the command is found after a global option and its value');
write_file("$tmp/events.jsonl", "{}\n");
mkdir "$tmp/backups";
is_deeply(complete('import', 'even'), ['events.jsonl'], 'import completes a file name');
is_deeply(complete('render', '2024', '-o', 'ev'), ['events.jsonl'], 'render -o completes a file name');
is_deeply(complete('--token-file', 'ev'), ['events.jsonl'], '--token-file completes a file name');
is_deeply(complete('backup', ''), ['backups'], 'backup completes directories only');
is_deeply(complete('--token', ''), [], 'nothing is offered for --token');

# ---- annals.conf(5): every key annalsd accepts ------------------------------------

# config_set() compares the key with each name it knows; the sample config
# shows every key too (some commented out). Both lists together.
my $config_c = read_file("$top/daemon/config.c");
my %keys = map { $_ => 1 } $config_c =~ /strcmp\(key, "([a-z0-9_]+)"\)/g;
$keys{$_} = 1 for read_file("$top/config/annalsd.conf") =~ /^#?([a-z][a-z0-9_]*) = /mg;
my @keys = sort keys %keys;
cmp_ok(scalar @keys, '>=', 25, 'config keys found in daemon/config.c and config/annalsd.conf (' . @keys . ')');
# Each is a key annalsd knows: given as a flag with a value no key takes,
# it is refused for its value, not as an unknown option (and nothing starts:
# the listener on 0.0.0.0 without a token stops it first).
for my $k (@keys, 'no_such_key') {
    (my $flag = "--$k") =~ tr/_/-/;
    my $r = run_cmd([annalsd_bin(), '--listen', '0.0.0.0:0', '--socket', 'off', '--data', "$tmp/never",
                     $flag, "\x01bad"], timeout => 10, dir => "$tmp");
    isnt($r->exit, 0, "annalsd $flag <bad value> does not start");
    if ($k eq 'no_such_key') { like($r->err, qr/unknown option/, '... an unknown key is an unknown option') }
    else { unlike($r->err, qr/unknown option/, "... $k is a key annalsd knows") }
}
ok(!-e "$tmp/never", 'no data directory was made');
my ($c_sh, $c_ss) = read_page($page{conf});
my $conf_text = join '', values %$c_sh;
like($conf_text, qr/^\s*\Q$_\E\s+= /m, "annals.conf.5 documents $_") for @keys;

# ---- annalsd(8) ------------------------------------------------------------------

my ($d_sh) = read_page($page{annalsd});
my $dhelp = run_cmd([annalsd_bin(), '--help'], timeout => 10)->out;
ok(has_option($d_sh->{OPTIONS}, $_), "annalsd.8 documents $_") for options_in($dhelp);
like($d_sh->{SIGNALS}, qr/\b$_\b/, "annalsd.8 documents $_") for qw(SIGTERM SIGINT SIGHUP);
like($d_sh->{'EXIT STATUS'}, qr/^$_$/m, "annalsd.8 documents exit status $_") for $dhelp =~ /\b(\d) (?:after|on)\b/g;

# ---- the pages name the version they describe -----------------------------------------

my ($version) = read_file("$top/proto/version.h") =~ /#define ANNALS_VERSION "([^"]+)"/;
ok($version, "proto/version.h says the version ($version)");
for my $p (sort values %page) {
    like(read_file($p), qr/^\.TH \S+ [158] \S+ "annals \Q$version\E"/m, "$p is the page of annals $version");
}

# ---- the pages render without a warning ---------------------------------------------

SKIP: {
    my $mandoc = grep { -x "$_/mandoc" } split /:/, $ENV{PATH};
    skip 'mandoc is not installed (make test installs it)', 6 unless $mandoc;
    for my $p (sort values %page) {
        my $r = run_cmd(['mandoc', '-T', 'lint', '-W', 'warning', $p], timeout => 10);
        is($r->exit, 0, "mandoc -T lint passes $p");
        is($r->out . $r->err, '', '... with nothing to say') or diag($r->out . $r->err);
    }
}

# ---- the systemd unit -----------------------------------------------------------

sub unit_keys {
    my ($text) = @_;
    my %u;
    for (split /\n/, $text) {
        next if /^\s*(#|;|\[|$)/;
        my ($k, $v) = /^(\w+)=(.*)$/ or next;
        push @{ $u{$k} }, $v;
    }
    return \%u;
}
my $unit = unit_keys(read_file("$top/config/annalsd.service"));
my %want = (Type => 'simple', Restart => 'on-failure', DynamicUser => 'yes', User => 'annals',
            StateDirectory => 'annals', RuntimeDirectory => 'annals', UMask => '0077',
            ProtectSystem => 'strict', ProtectHome => 'yes', PrivateTmp => 'yes', PrivateDevices => 'yes',
            NoNewPrivileges => 'yes', ProtectKernelTunables => 'yes', ProtectKernelModules => 'yes',
            ProtectKernelLogs => 'yes', ProtectControlGroups => 'yes', RestrictNamespaces => 'yes',
            LockPersonality => 'yes', MemoryDenyWriteExecute => 'yes', CapabilityBoundingSet => '',
            RestrictAddressFamilies => 'AF_UNIX AF_INET AF_INET6');
is_deeply($unit->{$_}, [ $want{$_} ], "annalsd.service: $_=$want{$_}") for sort keys %want;
ok(grep({ $_ eq '@system-service' } @{ $unit->{SystemCallFilter} }), 'annalsd.service: SystemCallFilter=@system-service');
is_deeply($unit->{ExecStart}, ['@BINDIR@/annalsd --config @SYSCONFDIR@/annals/annalsd.conf'],
          'annalsd.service runs annalsd on the installed configuration');
cmp_ok(($unit->{RestartSec} // [0])->[0], '>', 0, 'annalsd.service waits before restarting');
# The limits fit the daemon's defaults: descriptors for max_connections
# (plus the 64 it keeps in reserve), and time to stop for shutdown_timeout.
my ($max_conns) = $config_c =~ /cfg->max_connections = (\d+);/;
my ($shutdown_ms) = $config_c =~ /cfg->shutdown_timeout_ms = (\d+);/;
ok($max_conns && $shutdown_ms, "config.c's defaults: max_connections $max_conns, shutdown_timeout $shutdown_ms ms");
cmp_ok(($unit->{LimitNOFILE} // [0])->[0], '>=', $max_conns + 64, 'LimitNOFILE leaves room for max_connections');
cmp_ok(($unit->{TimeoutStopSec} // [0])->[0] * 1000, '>', $shutdown_ms, 'TimeoutStopSec exceeds shutdown_timeout');

# ---- make install and make uninstall ------------------------------------------------

# The make running this test passes its variables (SANITIZE=...) down, so
# the install takes the binaries it built; not its job server.
my $makeflags = $ENV{MAKEFLAGS} // '';
$makeflags =~ s/(?:^|\s)(?:--jobserver-(?:auth|fds)=\S+|-j\d*)//g;
$makeflags =~ s/^(\S*)j/$1/ if $makeflags =~ /^[a-zA-Z]+(?:\s|$)/;
my $dest = "$tmp/root";
sub make { run_cmd(['make', '--no-print-directory', '-C', $top, @_, 'PREFIX=/usr', "DESTDIR=$dest"],
                   timeout => 50, env => { MAKEFLAGS => $makeflags }) }
my $r = make('install');
is($r->exit, 0, 'make install PREFIX=/usr DESTDIR=... succeeds') or diag($r->describe);
my %installed = ('usr/share/man/man1/annals.1' => 0644, 'usr/share/man/man5/annals.conf.5' => 0644,
                 'usr/share/man/man8/annalsd.8' => 0644, 'usr/lib/systemd/system/annalsd.service' => 0644,
                 'usr/share/bash-completion/completions/annals' => 0644, 'etc/annals/annalsd.conf' => 0644);
for my $f (sort keys %installed) {
    my @st = stat "$dest/$f";
    ok(@st && -f _, "installed $f") or next;
    is(sprintf('%04o', $st[2] & 07777), sprintf('%04o', $installed{$f}), "... with mode " . sprintf('%04o', $installed{$f}));
}
is(readlink("$dest/usr/share/man/man5/annalsd.conf.5"), 'annals.conf.5', 'man annalsd.conf finds annals.conf(5)');
is(read_file("$dest/usr/share/man/man1/annals.1"), read_file($page{annals}), 'the installed annals.1 is the page');
my $iunit_text = read_file("$dest/usr/lib/systemd/system/annalsd.service");
unlike($iunit_text, qr/@[A-Z_]+@/, 'the installed unit has no placeholder left');
is_deeply(unit_keys($iunit_text)->{ExecStart}, ['/usr/bin/annalsd --config /etc/annals/annalsd.conf'],
          'its ExecStart names the installed daemon and /etc/annals/annalsd.conf');
ok(-x "$dest/usr/bin/annalsd", 'the daemon it names is installed');
my $iconf = read_file("$dest/etc/annals/annalsd.conf");
like($iconf, qr{^data = /var/lib/annals$}m, "the service's config keeps data in /var/lib/annals (StateDirectory)");
like($iconf, qr{^socket = /run/annals/annalsd\.sock$}m, '... and the socket in /run/annals (RuntimeDirectory)');
(my $sample = read_file("$top/config/annalsd.conf")) =~ s/^(data|socket) = .*\n//mg;
(my $rest = $iconf) =~ s/^(data|socket) = .*\n//mg;
$rest =~ s/^# Installed for annalsd\.service.*\n//m;
is($rest, $sample, '... and is otherwise the sample configuration');

# annalsd accepts the service's configuration (its paths overridden by the
# harness's flags, which win over the file).
my $d = start_daemon(config => $iconf);
my $ping = client("ping");
ok($ping->exit == 0 && $ping->out =~ /pong/, 'annalsd serves on the installed service configuration');
is(stop_daemon(), 0, '... and stops cleanly');

SKIP: {
    my $analyze = grep { -x "$_/systemd-analyze" } split /:/, $ENV{PATH};
    skip 'systemd-analyze is not installed', 2 unless $analyze;
    # verify needs the ExecStart binary to exist: install under a prefix of
    # its own, without DESTDIR.
    my $prefix = "$tmp/prefix";
    my $p = run_cmd(['make', '--no-print-directory', '-C', $top, 'install-operate', "PREFIX=$prefix"],
                    timeout => 20, env => { MAKEFLAGS => $makeflags });
    mkdir "$prefix/bin";
    symlink(annalsd_bin(), "$prefix/bin/annalsd");
    my $v = run_cmd(['systemd-analyze', 'verify', '--man=no', "$prefix/lib/systemd/system/annalsd.service"],
                    timeout => 30);
    is($p->exit, 0, 'make install-operate PREFIX=... succeeds') or diag($p->describe);
    my @complaints = grep { /annalsd\.service/ } split /\n/, $v->out . $v->err;
    is("@complaints", '', 'systemd-analyze verify finds nothing wrong with the unit');
}

$r = make('uninstall');
is($r->exit, 0, 'make uninstall succeeds') or diag($r->describe);
ok(!-e "$dest/$_" && !-l "$dest/$_", "make uninstall removed $_")
    for sort(keys %installed), 'usr/share/man/man5/annalsd.conf.5';
ok(!-e "$dest/etc/annals", '... and the directory of the configuration');

# A configuration the administrator changed survives install and uninstall.
is(make('install')->exit, 0, 'make install again');
write_file("$dest/etc/annals/annalsd.conf", "$iconf\nmap_size = 64GiB\n");
$r = make('install');
is(read_file("$dest/etc/annals/annalsd.conf"), "$iconf\nmap_size = 64GiB\n", 'make install keeps an edited configuration');
like($r->err, qr/kept .*annalsd\.conf/, '... and says so');
$r = make('uninstall');
ok(-e "$dest/etc/annals/annalsd.conf", 'make uninstall keeps an edited configuration');
like($r->err, qr/kept .*annalsd\.conf/, '... and says so');
ok(!-e "$dest/usr/lib/systemd/system/annalsd.service", '... while removing the rest');

done_testing();

# Annals::Dates: the date rules of PROTOCOL.md section 5, computed
# independently of annalsd so that tests can derive what the server must
# answer from what they put in: canonical forms, first and last instants,
# an event's four bounds, and whether it overlaps, lies within or certainly
# meets a window.
#
# Instants are integers, seconds since 1970-01-01T00:00:00Z (negative before),
# over the proleptic Gregorian calendar of years 0000-9999.
package Annals::Dates;

use strict;
use warnings;
use Carp qw(croak);
use Exporter qw(import);
use POSIX qw(floor);

our @EXPORT_OK = qw(parse_date canonical first_last event_bounds instant
                    window overlaps within certain sort_key days_in_month);

sub _is_leap { my $y = shift; return ($y % 4 == 0 && $y % 100 != 0) || $y % 400 == 0 }

sub days_in_month {
    my ($y, $m) = @_;
    return (31, _is_leap($y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[$m - 1];
}

# Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil).
sub _days {
    my ($y, $m, $d) = @_;
    $y -= 1 if $m <= 2;
    my $era = floor($y / 400);
    my $yoe = $y - $era * 400;
    my $doy = floor((153 * ($m + ($m > 2 ? -3 : 9)) + 2) / 5) + $d - 1;
    my $doe = $yoe * 365 + floor($yoe / 4) - floor($yoe / 100) + $doy;
    return $era * 146097 + $doe - 719468;
}

sub _civil {
    my ($z) = @_;
    $z += 719468;
    my $era = floor($z / 146097);
    my $doe = $z - $era * 146097;
    my $yoe = floor(($doe - floor($doe / 1460) + floor($doe / 36524) - floor($doe / 146096)) / 365);
    my $y = $yoe + $era * 400;
    my $doy = $doe - (365 * $yoe + floor($yoe / 4) - floor($yoe / 100));
    my $mp = floor((5 * $doy + 2) / 153);
    my $d = $doy - floor((153 * $mp + 2) / 5) + 1;
    my $m = $mp + ($mp < 10 ? 3 : -9);
    $y++ if $m <= 2;
    return ($y, $m, $d);
}

sub _epoch { my ($y, $m, $d, $H, $M, $S) = @_; return _days($y, $m, $d) * 86400 + $H * 3600 + $M * 60 + $S }

# instant($t): "YYYY-MM-DDThh:mm:ssZ".
sub instant {
    my ($t) = @_;
    my $days = floor($t / 86400);
    my $s = $t - $days * 86400;
    my ($y, $m, $d) = _civil($days);
    return sprintf '%04d-%02d-%02dT%02d:%02d:%02dZ', $y, $m, $d, int($s / 3600), int($s % 3600 / 60), $s % 60;
}

# parse_date($s): a hash {prec => year|month|day|minute|second, y, m, d, H,
# M, S (UTC), q => '', '?', '~' or '%'}, or undef when $s is not a valid date
# of the profile.
sub parse_date {
    my ($s) = @_;
    return undef unless defined $s;
    if ($s =~ /\A([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?([?~%]?)\z/) {
        my ($y, $m, $d, $q) = ($1, $2, $3, $4);
        return undef if defined $m && ($m < 1 || $m > 12);
        return undef if defined $d && ($d < 1 || $d > days_in_month($y, $m));
        return { prec => defined $d ? 'day' : defined $m ? 'month' : 'year',
                 y => $y + 0, m => defined $m ? $m + 0 : 1, d => defined $d ? $d + 0 : 1,
                 H => 0, M => 0, S => 0, q => $q };
    }
    if ($s =~ /\A([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?
               (Z|[+-][0-9]{2}(?::?[0-9]{2})?)\z/x) {
        my ($y, $m, $d, $H, $M, $S, $z) = ($1, $2, $3, $4, $5, $6, $7);
        return undef if $m < 1 || $m > 12 || $d < 1 || $d > days_in_month($y, $m);
        return undef if $H > 23 || $M > 59 || (defined $S && $S > 59);
        my $off = 0;
        if ($z ne 'Z') {
            my ($sign, $oh, $om) = $z =~ /\A([+-])([0-9]{2}):?([0-9]{2})?\z/;
            $om //= 0;
            return undef if $oh > 23 || $om > 59;
            $off = ($sign eq '-' ? -1 : 1) * ($oh * 3600 + $om * 60);
        }
        my $t = _epoch($y, $m, $d, $H, $M, $S // 0) - $off;
        my $days = floor($t / 86400);
        my $sec = $t - $days * 86400;
        my ($yy, $mm, $dd) = _civil($days);
        return undef if $yy < 0 || $yy > 9999;
        return { prec => defined $S ? 'second' : 'minute', y => $yy, m => $mm, d => $dd,
                 H => int($sec / 3600), M => int($sec % 3600 / 60), S => $sec % 60, q => '' };
    }
    return undef;
}

# canonical($s): the form the server gives back (date-times in UTC).
sub canonical {
    my ($s) = @_;
    my $p = parse_date($s) or croak "not a date: $s";
    my $p0 = $p->{prec};
    return sprintf('%04d', $p->{y}) . $p->{q} if $p0 eq 'year';
    return sprintf('%04d-%02d', $p->{y}, $p->{m}) . $p->{q} if $p0 eq 'month';
    return sprintf('%04d-%02d-%02d', @$p{qw(y m d)}) . $p->{q} if $p0 eq 'day';
    return sprintf('%04d-%02d-%02dT%02d:%02dZ', @$p{qw(y m d H M)}) if $p0 eq 'minute';
    return sprintf('%04d-%02d-%02dT%02d:%02d:%02dZ', @$p{qw(y m d H M S)});
}

# Add $n months to (y, m).
sub _add_months { my ($y, $m, $n) = @_; my $k = $y * 12 + $m - 1 + $n; return (floor($k / 12), $k % 12 + 1) }

# first_last($s): (first instant, last instant) of the date, widened by one
# unit of its precision when it carries a qualifier.
sub first_last {
    my ($s) = @_;
    my $p = ref $s ? $s : (parse_date($s) or croak "not a date: $s");
    my $w = $p->{q} ne '' ? 1 : 0;
    my ($y, $m, $d) = @$p{qw(y m d)};
    if ($p->{prec} eq 'year') {
        return (_epoch($y - $w, 1, 1, 0, 0, 0), _epoch($y + $w + 1, 1, 1, 0, 0, 0) - 1);
    }
    if ($p->{prec} eq 'month') {
        my ($y0, $m0) = _add_months($y, $m, -$w);
        my ($y1, $m1) = _add_months($y, $m, $w + 1);
        return (_epoch($y0, $m0, 1, 0, 0, 0), _epoch($y1, $m1, 1, 0, 0, 0) - 1);
    }
    if ($p->{prec} eq 'day') {
        my $t = _epoch($y, $m, $d, 0, 0, 0);
        return ($t - $w * 86400, $t + (1 + $w) * 86400 - 1);
    }
    my $t = _epoch($y, $m, $d, @$p{qw(H M S)});
    return $p->{prec} eq 'minute' ? ($t, $t + 59) : ($t, $t);
}

# event_bounds($start, $end): {start => [earliest, latest], end => [earliest,
# latest]} as instants, with the latest start capped by the latest end and the
# earliest end raised to the earliest start.
sub event_bounds {
    my ($start, $end) = @_;
    my ($s0, $s1) = first_last($start);
    my ($e0, $e1) = first_last($end // $start);
    $s1 = $e1 if $e1 < $s1;
    $e0 = $s0 if $s0 > $e0;
    return { start => [$s0, $s1], end => [$e0, $e1] };
}

# window($from, $to): [first instant of from, last instant of to]; an
# omitted side is open (undef).
sub window {
    my ($from, $to) = @_;
    return [defined $from ? (first_last($from))[0] : undef,
            defined $to ? (first_last($to))[1] : undef];
}

# overlaps / within / certain ($bounds, $window), as section 5 defines them.
sub overlaps {
    my ($b, $w) = @_;
    return (!defined $w->[1] || $b->{start}[0] <= $w->[1])
        && (!defined $w->[0] || $b->{end}[1] >= $w->[0]) ? 1 : 0;
}
sub within {
    my ($b, $w) = @_;
    return (!defined $w->[0] || $b->{start}[0] >= $w->[0])
        && (!defined $w->[1] || $b->{end}[1] <= $w->[1]) ? 1 : 0;
}
sub certain {
    my ($b, $w) = @_;
    return (!defined $w->[1] || $b->{start}[1] <= $w->[1])
        && (!defined $w->[0] || $b->{end}[0] >= $w->[0]) ? 1 : 0;
}

1;

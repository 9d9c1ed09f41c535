package models

import (
	"slices"
	"testing"
	"time"
)

func TestMedianFloat(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"empty", nil, 0},
		{"one value", []float64{3.5}, 3.5},
		{"odd count", []float64{9, 1, 5}, 5},
		{"even count: mean of the two middle values", []float64{4, 1, 10, 2}, 3},
		{"even count, fractional mean", []float64{1, 2}, 1.5},
		{"ties", []float64{7, 7, 1, 7}, 7},
		{"negative values", []float64{-3, -1, -2}, -2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.in)
			if got := Median(in); got != tt.want {
				t.Errorf("Median(%v) = %v, want %v", tt.in, got, tt.want)
			}
			if !slices.Equal(in, tt.in) {
				t.Errorf("Median reordered its input: %v, was %v", in, tt.in)
			}
		})
	}
}

func TestMedianDuration(t *testing.T) {
	tests := []struct {
		name string
		in   []time.Duration
		want time.Duration
	}{
		{"empty", nil, 0},
		{"one value", []time.Duration{time.Second}, time.Second},
		{"odd count", []time.Duration{3 * time.Millisecond, time.Millisecond, 2 * time.Millisecond}, 2 * time.Millisecond},
		{"even count: mean of the two middle values", []time.Duration{4, 1, 10, 2}, 3},
		{"even count, odd sum truncates", []time.Duration{1, 2}, 1},
		{"even count, negative odd sum truncates toward zero", []time.Duration{-1, -2}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.in)
			if got := Median(in); got != tt.want {
				t.Errorf("Median(%v) = %v, want %v", tt.in, got, tt.want)
			}
			if !slices.Equal(in, tt.in) {
				t.Errorf("Median reordered its input: %v, was %v", in, tt.in)
			}
		})
	}
}

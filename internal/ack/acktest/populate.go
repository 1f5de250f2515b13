package acktest

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// populateMaxDepth stops Populate on recursive types.
const populateMaxDepth = 16

// populatedTime is the value Populate gives to every metav1.Time.
var populatedTime = metav1.NewTime(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))

var timeType = reflect.TypeFor[metav1.Time]()

// Populate fills every field of obj's Spec (or of obj itself when it has no
// Spec field) with a non-zero value: pointers are allocated, strings become
// "x-<json name>", integers 1, floats 1.5 (so a float where upstream wants an
// integer shows in the JSON), bools true, slices get one element and maps one
// entry. obj must be a non-nil pointer to a struct; metadata and status are
// left alone.
func Populate(obj any) {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("acktest.Populate: want a non-nil pointer to a struct, got %T", obj))
	}
	target := v.Elem()
	if spec := target.FieldByName("Spec"); spec.IsValid() {
		target = spec
	}
	populate(target, "x", 0)
}

func populate(v reflect.Value, name string, depth int) {
	if !v.CanSet() || depth > populateMaxDepth {
		return
	}
	if v.Type() == timeType {
		v.Set(reflect.ValueOf(populatedTime))
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		populate(p.Elem(), name, depth+1)
		v.Set(p)
	case reflect.String:
		v.SetString("x-" + name)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		populate(s.Index(0), name, depth+1)
		v.Set(s)
	case reflect.Array:
		for i := range v.Len() {
			populate(v.Index(i), name, depth+1)
		}
	case reflect.Map:
		m := reflect.MakeMapWithSize(v.Type(), 1)
		k := reflect.New(v.Type().Key()).Elem()
		populate(k, name+"-key", depth+1)
		e := reflect.New(v.Type().Elem()).Elem()
		populate(e, name, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			populate(v.Field(i), fieldName(f), depth+1)
		}
	}
}

// ZeroFields lists the paths (in Go field names) of the fields under obj's
// Spec (or obj itself when it has no Spec field) that hold a zero value, nil
// pointers, slices and maps included. After Populate it is empty.
func ZeroFields(obj any) []string {
	v := reflect.ValueOf(obj)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return []string{"(nil)"}
		}
		v = v.Elem()
	}
	path := ""
	if v.Kind() == reflect.Struct {
		if spec := v.FieldByName("Spec"); spec.IsValid() {
			v, path = spec, "Spec"
		}
	}
	var zero []string
	zeroFields(v, path, &zero)
	return zero
}

func zeroFields(v reflect.Value, path string, zero *[]string) {
	if v.Type() == timeType {
		if tm := v.Interface().(metav1.Time); tm.IsZero() {
			*zero = append(*zero, path)
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			*zero = append(*zero, path)
			return
		}
		zeroFields(v.Elem(), path, zero)
	case reflect.Slice, reflect.Map:
		if v.Len() == 0 {
			*zero = append(*zero, path)
			return
		}
		if v.Kind() == reflect.Slice {
			for i := range v.Len() {
				zeroFields(v.Index(i), fmt.Sprintf("%s[%d]", path, i), zero)
			}
			return
		}
		iter := v.MapRange()
		for iter.Next() {
			zeroFields(iter.Value(), fmt.Sprintf("%s[%v]", path, iter.Key()), zero)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			zeroFields(v.Field(i), strings.TrimPrefix(path+"."+f.Name, "."), zero)
		}
	default:
		if v.IsZero() {
			*zero = append(*zero, path)
		}
	}
}

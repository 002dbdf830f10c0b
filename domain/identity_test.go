package domain_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"skillcert/domain"
)

func TestResolveIdentity(t *testing.T) {
	const male, female = "150102199003070031", "11010519491231002X" // 17th digit 3 (odd), 2 (even)
	cases := []struct {
		name       string
		in         domain.Identity
		id         string
		wantType   string
		wantGender string
		errField   string
	}{
		{"resident, gender derived (male)", domain.Identity{}, male, domain.IDResident, domain.Male, ""},
		{"resident, gender derived (female)", domain.Identity{IDType: domain.IDResident}, female, domain.IDResident, domain.Female, ""},
		{"resident, typed gender agrees", domain.Identity{IDType: domain.IDResident, Gender: domain.Female}, female, domain.IDResident, domain.Female, ""},
		{"resident, typed gender disagrees", domain.Identity{IDType: domain.IDResident, Gender: domain.Male}, female, "", "", "gender"},
		{"passport needs a gender", domain.Identity{IDType: domain.IDPassport}, "E12345678", "", "", "gender"},
		{"passport with a gender", domain.Identity{IDType: domain.IDPassport, Gender: domain.Female}, "E12345678", domain.IDPassport, domain.Female, ""},
		{"unknown type", domain.Identity{IDType: "library_card"}, "E12345678", "", "", "id_type"},
		{"unknown gender", domain.Identity{IDType: domain.IDPassport, Gender: "x"}, "E12345678", "", "", "gender"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, errs := domain.ResolveIdentity(c.in, c.id)
			if c.errField != "" {
				if len(errs) != 1 || errs[0].Field != c.errField {
					t.Fatalf("errs = %v, want one on %s", errs, c.errField)
				}
				return
			}
			if len(errs) != 0 || got.IDType != c.wantType || got.Gender != c.wantGender {
				t.Fatalf("got %+v %v, want %s %s", got, errs, c.wantType, c.wantGender)
			}
		})
	}
	if domain.CheckOtherIDNumber("E12345678") != "" || domain.CheckOtherIDNumber("E1") == "" || domain.CheckOtherIDNumber("E123 45678") == "" {
		t.Error("CheckOtherIDNumber")
	}
	if domain.IDTypeName("") != "居民身份证" || domain.IDTypeName(domain.IDHKMacaoPermit) != "港澳居民来往内地通行证" {
		t.Error("IDTypeName")
	}
}

func encode(t *testing.T, format string, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	var b bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCheckPhoto(t *testing.T) {
	cases := []struct {
		name, want, refusal string
		b                   []byte
	}{
		{"jpeg 295x413 (1 inch)", "image/jpeg", "", encode(t, "jpeg", 295, 413)},
		{"png 358x441", "image/png", "", encode(t, "png", 358, 441)},
		{"empty", "", "请选择照片文件", nil},
		{"gif disguised", "", "JPEG 或 PNG", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00")},
		{"text", "", "JPEG 或 PNG", []byte("not an image")},
		{"too small", "", "照片尺寸", encode(t, "png", 50, 70)},
		{"too large in pixels", "", "照片尺寸", encode(t, "png", 1300, 1700)},
		{"landscape", "", "竖幅", encode(t, "jpeg", 413, 295)},
		{"over 200 KB", "", "不超过 200 KB", append(encode(t, "png", 295, 413), make([]byte, 210<<10)...)},
	}
	for _, c := range cases {
		ct, refusal := domain.CheckPhoto(c.b)
		if ct != c.want || !strings.Contains(refusal, c.refusal) || (c.refusal == "") != (refusal == "") {
			t.Errorf("%s: got %q %q, want %q and a refusal containing %q", c.name, ct, refusal, c.want, c.refusal)
		}
	}
}

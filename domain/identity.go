package domain

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig of JPEG photos
	_ "image/png"  // DecodeConfig of PNG photos
	"regexp"
	"slices"

	"skillcert/models/validate"
)

// The holder's identity as the national certificate sample prints it: ID type (证件类型), ID
// number, gender and photo (domain.md §9).

// ID types (证件类型) of a certificate holder.
const (
	IDResident        = "resident_id"       // 居民身份证
	IDHKMacaoPermit   = "hk_macao_permit"   // 港澳居民来往内地通行证
	IDTaiwanPermit    = "taiwan_permit"     // 台湾居民来往大陆通行证
	IDHMTResidence    = "hmt_residence"     // 港澳台居民居住证
	IDForeignResident = "foreign_permanent" // 外国人永久居留身份证
	IDPassport        = "passport"          // 护照
)

// IDTypes lists the ID types in the order forms offer them.
var IDTypes = []string{IDResident, IDHKMacaoPermit, IDTaiwanPermit, IDHMTResidence, IDForeignResident, IDPassport}

// IDTypeNames are the ID types' Chinese names.
var IDTypeNames = validate.IDTypeNames

// IDTypeName answers an ID type's Chinese name; an empty type is a 居民身份证.
func IDTypeName(t string) string { return validate.IDTypeName(t) }

// Genders.
const (
	Male   = "male"
	Female = "female"
)

// GenderNames are the genders' Chinese names.
var GenderNames = map[string]string{Male: "男", Female: "女"}

// GenderOfResidentID derives the gender from an 18-character resident ID number (GB 11643: an
// odd 17th digit is male); "" when the number is not of that form.
func GenderOfResidentID(id string) string {
	id = validate.NormalizeIDNumber(id)
	if len(id) != validate.IDNumberLen || id[16] < '0' || id[16] > '9' {
		return ""
	}
	if (id[16]-'0')%2 == 1 {
		return Male
	}
	return Female
}

var otherIDNumber = regexp.MustCompile(`^[A-Z0-9()\-]{5,18}$`)

// CheckOtherIDNumber checks the number of an ID type other than 居民身份证: 5 to 18 letters,
// digits, brackets or hyphens (the issuing authorities' formats vary; 18 is what the
// certificate's ID columns hold). It answers the message of a refusal, or "".
func CheckOtherIDNumber(n string) string {
	if !otherIDNumber.MatchString(n) {
		return "证件号码应为 5 至 18 位字母、数字（可含括号、连字符）。"
	}
	return ""
}

// Identity is a candidate's ID type and gender as typed; Gender may be empty for a 居民身份证,
// whose number decides it.
type Identity struct {
	IDType string `json:"id_type"`
	Gender string `json:"gender"`
}

// ResolveIdentity checks an identity against the (normalised) ID number and answers the type and
// gender to store: for a 居民身份证 (also when no type is given) the gender comes from the number,
// and a typed gender that disagrees is refused; for other types the gender must be entered.
func ResolveIdentity(in Identity, id string) (Identity, validate.Errors) {
	var errs validate.Errors
	if in.IDType == "" {
		in.IDType = IDResident
	}
	if !slices.Contains(IDTypes, in.IDType) {
		errs.Add("id_type", "invalid", "证件类型无效。")
		return in, errs
	}
	if in.Gender != "" && GenderNames[in.Gender] == "" {
		errs.Add("gender", "invalid", "性别应为男或女。")
		return in, errs
	}
	if in.IDType == IDResident {
		derived := GenderOfResidentID(id)
		if in.Gender != "" && derived != "" && in.Gender != derived {
			errs.Add("gender", "gender_mismatch", fmt.Sprintf("性别与身份证号码不符：按身份证号码应为%s。", GenderNames[derived]))
		}
		in.Gender = derived
		return in, errs
	}
	if in.Gender == "" {
		errs.Add("gender", "required", "证件类型不是居民身份证时，请选择性别。")
	}
	return in, errs
}

// Photo rules of the certificate photo (a passport-style head shot, as the national sample
// prints it; limits inferred from common practice: JPEG or PNG, at most 200 KB, portrait).
const (
	PhotoMaxBytes = 200 << 10
	PhotoMinWidth = 100
	PhotoMaxWidth = 1200
	// PhotoMinHeight and PhotoMaxHeight bound the height; the photo is upright (taller than wide).
	PhotoMinHeight = 130
	PhotoMaxHeight = 1600
)

// CheckPhoto checks a photo's bytes: JPEG or PNG by content (not by name), no larger than
// PhotoMaxBytes, upright and within the pixel limits. It answers the content type to store it
// under, or the message of a refusal.
func CheckPhoto(b []byte) (contentType, refusal string) {
	if len(b) == 0 {
		return "", "请选择照片文件。"
	}
	if len(b) > PhotoMaxBytes {
		return "", fmt.Sprintf("照片不超过 %d KB（现为 %d KB）。", PhotoMaxBytes>>10, (len(b)+1023)>>10)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil || (format != "jpeg" && format != "png") {
		return "", "照片应为 JPEG 或 PNG 格式的图片。"
	}
	if cfg.Width < PhotoMinWidth || cfg.Width > PhotoMaxWidth || cfg.Height < PhotoMinHeight || cfg.Height > PhotoMaxHeight {
		return "", fmt.Sprintf("照片尺寸应为宽 %d—%d 像素、高 %d—%d 像素（现为 %d×%d）。", PhotoMinWidth, PhotoMaxWidth,
			PhotoMinHeight, PhotoMaxHeight, cfg.Width, cfg.Height)
	}
	if cfg.Height <= cfg.Width {
		return "", fmt.Sprintf("照片应为竖幅免冠证件照（现为 %d×%d）。", cfg.Width, cfg.Height)
	}
	return "image/" + format, ""
}
